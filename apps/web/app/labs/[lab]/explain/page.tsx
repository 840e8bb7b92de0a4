// /labs/:lab/explain?a=VM1&b=VM2 — why two VMs differ, and what would fix it.
// A server component: it only unwraps the route params for the client view.
import { Suspense } from 'react';
import { ExplainView } from '../../../../components/explain/explain-view';

export async function generateMetadata({ params }: { params: Promise<{ lab: string }> }) {
  const { lab } = await params;
  return { title: `${decodeURIComponent(lab)} · explain — ioasid-lab` };
}

export default async function ExplainPage({ params }: { params: Promise<{ lab: string }> }) {
  const { lab } = await params;
  return (
    <Suspense>
      <ExplainView lab={decodeURIComponent(lab)} />
    </Suspense>
  );
}

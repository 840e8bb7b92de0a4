// /labs/:lab/compare — the lab under each policy side by side.
// A server component: it only unwraps the route params for the client view.
import { Suspense } from 'react';
import { CompareView } from '../../../../components/compare/compare-view';

export async function generateMetadata({ params }: { params: Promise<{ lab: string }> }) {
  const { lab } = await params;
  return { title: `${decodeURIComponent(lab)} · compare — ioasid-lab` };
}

export default async function ComparePage({ params }: { params: Promise<{ lab: string }> }) {
  const { lab } = await params;
  return (
    <Suspense>
      <CompareView lab={decodeURIComponent(lab)} />
    </Suspense>
  );
}

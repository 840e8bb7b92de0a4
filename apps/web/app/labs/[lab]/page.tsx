// /labs/:lab — the lab's live topology (deep links: ?seq=N, ?sel=kind:id).
// A server component: it only unwraps the route params for the client view.
import { Suspense } from 'react';
import { LabView } from '../../../components/lab/lab-view';

export async function generateMetadata({ params }: { params: Promise<{ lab: string }> }) {
  const { lab } = await params;
  return { title: `${decodeURIComponent(lab)} · topology — ioasid-lab` };
}

export default async function LabPage({ params }: { params: Promise<{ lab: string }> }) {
  const { lab } = await params;
  return (
    <Suspense>
      <LabView lab={decodeURIComponent(lab)} />
    </Suspense>
  );
}

// /labs/:lab/hwpts/:id — the page-table inspector of one HWPT.
// A server component: it only unwraps the route params for the client view.
import { Suspense } from 'react';
import { InspectorView } from '../../../../../components/inspector/inspector-view';

export async function generateMetadata({ params }: { params: Promise<{ lab: string; id: string }> }) {
  const { lab, id } = await params;
  return { title: `${decodeURIComponent(lab)} · HWPT ${id} — ioasid-lab` };
}

export default async function InspectorPage({ params }: { params: Promise<{ lab: string; id: string }> }) {
  const { lab, id } = await params;
  return (
    <Suspense>
      <InspectorView lab={decodeURIComponent(lab)} id={Number(id)} />
    </Suspense>
  );
}

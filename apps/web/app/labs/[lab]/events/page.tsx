// /labs/:lab/events — the lab's whole history.
// A server component: it only unwraps the route params for the client view.
import { Suspense } from 'react';
import { EventsView } from '../../../../components/events/events-view';

export async function generateMetadata({ params }: { params: Promise<{ lab: string }> }) {
  const { lab } = await params;
  return { title: `${decodeURIComponent(lab)} · events — ioasid-lab` };
}

export default async function EventsPage({ params }: { params: Promise<{ lab: string }> }) {
  const { lab } = await params;
  return (
    <Suspense>
      <EventsView lab={decodeURIComponent(lab)} />
    </Suspense>
  );
}

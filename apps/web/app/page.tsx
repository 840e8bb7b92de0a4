// `/`: the list of labs, with create, fork, delete and import.
// A server component wrapper; the list itself lives in components/labs.
import { LabsView } from '../components/labs/labs-view';

export default function Home() {
  return <LabsView />;
}

// `/`: the list of labs, with create, fork, delete and import.
import { LabsView } from '../components/labs/labs-view';

export default function Home() {
  return <LabsView />;
}

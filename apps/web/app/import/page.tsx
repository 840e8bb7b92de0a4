// `/import`: "Import my host": a sysfs snapshot and the host's VMs become a lab (docs/host-import.md).
import { ImportHostView } from '../../components/import/import-host-view';

export const metadata = { title: 'Import my host · ioasid-lab' };

export default function ImportHostPage() {
  return <ImportHostView />;
}

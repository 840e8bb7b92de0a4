// Home: the server's health for now; the lab list comes with the dashboard.
import { HealthBadge } from './health-badge';

export default function Home() {
  return (
    <main style={{ padding: 24 }}>
      <h1>ioasid-lab</h1>
      <p>IOMMU page tables, snoop control and wbinvd, live.</p>
      <HealthBadge />
    </main>
  );
}

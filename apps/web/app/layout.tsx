// Root layout of the lab dashboard.
import type { ReactNode } from 'react';
import './globals.css';

export const metadata = { title: 'ioasid-lab', description: 'IOMMU page tables, snoop control and wbinvd, live' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}

// Root layout of the lab dashboard: theme boot script, global styles, keyboard help available everywhere.
// Every page is a client view below it; nothing here fetches.
import type { ReactNode } from 'react';
import { THEME_BOOT } from '../components/shell/theme';
import './globals.css';

export const metadata = {
  title: 'ioasid-lab',
  description: 'IOMMU page tables, snoop control and wbinvd, live',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: a constant script, set before paint. */}
        <script dangerouslySetInnerHTML={{ __html: THEME_BOOT }} />
      </head>
      <body>{children}</body>
    </html>
  );
}

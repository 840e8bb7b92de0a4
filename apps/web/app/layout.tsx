// Root layout of the lab dashboard: theme boot script, global styles, keyboard help available everywhere.
// Every page is a client view below it; nothing here fetches. Reading the request's headers renders every
// page per request, which the CSP nonce needs (a prerendered page would carry no nonce, or a stale one).
import { headers } from 'next/headers';
import type { ReactNode } from 'react';
import { THEME_BOOT } from '../components/shell/theme';
import { NONCE_HEADER } from '../lib/csp';
import './globals.css';

export const metadata = {
  title: 'ioasid-lab',
  description: 'IOMMU page tables, snoop control and wbinvd, live',
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Set by proxy.ts; Next puts the same nonce on its own scripts, this one needs it given.
  const nonce = (await headers()).get(NONCE_HEADER) ?? undefined;
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: a constant script, set before paint. */}
        <script nonce={nonce} dangerouslySetInnerHTML={{ __html: THEME_BOOT }} />
      </head>
      <body>{children}</body>
    </html>
  );
}

'use client';
// Header of every lab view: name · policy · seq (live ●), links to the lab's views, theme and help.
// View-specific buttons (exports) come in as children.
import Link from 'next/link';
import type { ReactNode } from 'react';
import { enc } from '../../lib/api';
import { type Shortcut, Shortcuts } from './shortcuts';
import { ThemeToggle } from './theme-toggle';

interface Props {
  lab: string;
  policy?: string;
  kernel?: string;
  seq: number;
  connected: boolean;
  past?: boolean;
  current: 'topology' | 'explain' | 'compare' | 'events' | 'inspector';
  shortcuts: Shortcut[];
  children?: ReactNode;
}

export function LabHeader({
  lab,
  policy,
  kernel,
  seq,
  connected,
  past,
  current,
  shortcuts,
  children,
}: Props) {
  const base = `/labs/${enc(lab)}`;
  const links: [Props['current'], string, string][] = [
    ['topology', 'Topology', base],
    ['explain', 'Explain', `${base}/explain`],
    ['compare', 'Compare', `${base}/compare`],
    ['events', 'Events', `${base}/events`],
  ];
  return (
    <header className="topbar">
      <Link href="/" aria-label="All labs">
        labs
      </Link>
      <span className="name">{lab}</span>
      {policy ? <span className="badge">{policy}</span> : null}
      {kernel ? <span className="badge">kernel {kernel}</span> : null}
      <span className="mono" role="status" aria-label="Lab sequence">
        seq {seq}
        {past ? ' (past)' : ''} <span className={`live-dot${connected && !past ? '' : ' off'}`} />
        {connected ? ' live' : ' offline'}
      </span>
      <nav aria-label="Lab views">
        {links.map(([key, label, href]) => (
          <Link key={key} href={href} aria-current={current === key ? 'page' : undefined}>
            {current === key ? <b>{label}</b> : label}
          </Link>
        ))}
      </nav>
      <span className="spacer" />
      {children}
      <ThemeToggle />
      <Shortcuts shortcuts={shortcuts} />
    </header>
  );
}

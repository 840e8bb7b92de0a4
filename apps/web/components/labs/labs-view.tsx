'use client';
// The labs list at `/`: every lab with policy and event count, create (name, policy, template), fork, delete.
// Every action is an ActionForm, so refusals show their errno in the row.
import Link from 'next/link';
import { useCallback, useEffect, useState } from 'react';
import { ApiFailure, api, enc } from '../../lib/api';
import { type CreateLabRequest, type LabSummary, POLICIES, type Policy } from '../../lib/types';
import { ActionForm } from '../actions/action-form';
import { HealthBadge } from '../shell/health-badge';
import { Shortcuts } from '../shell/shortcuts';
import { ThemeToggle } from '../shell/theme-toggle';
import { ImportForm } from './import-form';

export function LabsView() {
  const [labs, setLabs] = useState<LabSummary[] | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const load = useCallback(() => {
    api.listLabs().then(
      (r) => {
        setLabs(r);
        setError(null);
      },
      (e) => e instanceof ApiFailure && setError(e),
    );
  }, []);
  useEffect(load, [load]);

  return (
    <>
      <header className="topbar">
        <span className="name">ioasid-lab</span>
        <span className="muted">IOMMU page tables, snoop control and wbinvd, live</span>
        <span className="spacer" />
        <ThemeToggle />
        <Shortcuts shortcuts={[]} />
      </header>
      <main className="page">
        <h1>Labs</h1>
        {error ? (
          <p role="alert" className="refused">
            {error.code}: {error.message}
          </p>
        ) : null}
        {labs === null ? <p className="muted">Loading labs…</p> : null}
        {labs && labs.length === 0 ? <p className="muted">No labs yet: create one below.</p> : null}
        {labs && labs.length > 0 ? (
          <table aria-label="Labs">
            <thead>
              <tr>
                <th>lab</th>
                <th>policy</th>
                <th>events</th>
                <th>created</th>
                <th>fork</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {labs.map((l) => (
                <tr key={l.name}>
                  <td>
                    <Link href={`/labs/${enc(l.name)}`}>{l.name}</Link>
                  </td>
                  <td>{l.policy}</td>
                  <td className="mono">{l.events}</td>
                  <td className="mono">{l.createdAt?.replace('T', ' ').slice(0, 19)}</td>
                  <td>
                    <ActionForm
                      title={`Fork ${l.name}`}
                      short="Fork"
                      fields={[
                        { name: 'name', label: 'fork as', value: `${l.name}-fork` },
                        {
                          name: 'policy',
                          label: 'policy',
                          kind: 'select',
                          options: [...POLICIES],
                          value: l.policy,
                        },
                        { name: 'at', label: 'at', value: '', placeholder: `seq ≤ ${l.events}` },
                      ]}
                      build={(v) => (c) =>
                        c.forkLab(l.name, {
                          name: String(v.name).trim(),
                          policy: v.policy as Policy,
                          ...(String(v.at).trim() ? { at: Number(v.at) } : {}),
                        })
                      }
                      onDone={load}
                    />
                  </td>
                  <td>
                    <ActionForm
                      title={`Delete ${l.name}`}
                      short="Delete"
                      danger
                      fields={[]}
                      build={() => (c) => c.deleteLab(l.name)}
                      onDone={load}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <div className="cards" style={{ marginTop: 16 }}>
          <div className="card">
            <h2>New lab</h2>
            <ActionForm
              title="Create lab"
              fields={[
                { name: 'name', label: 'name', value: '', placeholder: 'my-lab' },
                { name: 'policy', label: 'policy', kind: 'select', options: [...POLICIES], value: 'shared' },
                {
                  name: 'template',
                  label: 'template',
                  kind: 'select',
                  options: ['empty', 'seed', 'seed-story'],
                  value: 'seed',
                },
              ]}
              build={(v) => (c) =>
                c.createLab({
                  name: String(v.name).trim(),
                  policy: v.policy as Policy,
                  template: v.template as CreateLabRequest['template'],
                })
              }
              onDone={load}
            />
          </div>
          <div className="card">
            <h2>Import</h2>
            <ImportForm onDone={load} />
          </div>
        </div>
        <footer className="muted" style={{ marginTop: 24 }}>
          <HealthBadge />
        </footer>
      </main>
    </>
  );
}

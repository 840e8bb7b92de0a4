'use client';
// `/`: what the lab is for (seed story, live thumbnail, where to start), then every lab with fork and
// delete, and new labs from a template (opened once created) or from an export.
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useState } from 'react';
import { ApiFailure, api, enc } from '../../lib/api';
import { type CreateLabRequest, KERNELS, type LabSummary, POLICIES, type Policy } from '../../lib/types';
import { checkName } from '../../lib/validate';
import { ActionForm } from '../actions/action-form';
import { HealthBadge } from '../shell/health-badge';
import { Shortcuts } from '../shell/shortcuts';
import { ThemeToggle } from '../shell/theme-toggle';
import { ImportForm } from './import-form';
import { LabsTable } from './labs-table';
import { LandingHero } from './landing-hero';

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
        <a href="/import">Import my host</a>
        <a href="/docs">API docs</a>
        <ThemeToggle />
        <Shortcuts shortcuts={[]} />
      </header>
      <main className="page">
        {labs ? <LandingHero seedExists={labs.some((l) => l.name === 'seed')} onCreated={load} /> : null}
        <h2>Labs</h2>
        {error ? (
          <p role="alert" className="refused">
            {error.code}: {error.message}
          </p>
        ) : null}
        {labs === null ? (
          <p className="loading" role="status">
            Loading labs…
          </p>
        ) : null}
        {labs && labs.length === 0 ? <p className="muted">No labs yet: create one below.</p> : null}
        {labs && labs.length > 0 ? <LabsTable labs={labs} onChange={load} /> : null}
        <div className="cards" style={{ marginTop: 16 }}>
          <CreateLabCard />
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

/** New lab: name, policy, kernel and template; opens the lab once made. */
function CreateLabCard() {
  const router = useRouter();
  return (
    <div className="card" id="new-lab">
      <h2>New lab</h2>
      <ActionForm
        title="Create lab"
        fields={[
          { name: 'name', label: 'name', value: '', placeholder: 'my-lab', check: checkName },
          { name: 'policy', label: 'policy', kind: 'select', options: [...POLICIES], value: 'shared' },
          {
            name: 'kernel',
            label: 'kernel',
            kind: 'select',
            options: [...KERNELS].reverse(),
            value: '6.12',
          },
          {
            name: 'template',
            label: 'template',
            kind: 'select',
            options: ['seed-story', 'seed', 'empty'],
            value: 'seed-story',
          },
        ]}
        hint={(v) => TEMPLATE_HINT[String(v.template)]}
        build={(v) => (c) =>
          c.createLab({
            name: String(v.name).trim(),
            policy: v.policy as Policy,
            kernel: v.kernel as CreateLabRequest['kernel'],
            template: v.template as CreateLabRequest['template'],
          })
        }
        onDone={(_, v) => router.push(`/labs/${enc(String(v.name).trim())}`)}
      />
    </div>
  );
}

const TEMPLATE_HINT: Record<string, string> = {
  'seed-story': 'The seed hardware plus the story: VM1 [A, B], VM2 [A2], then B unplugged.',
  seed: 'The seed hardware only: iommu0 (snoop control) with A and A2, iommu1 (none) with B; no VMs.',
  empty: 'Nothing: add IOMMU units, devices and VMs yourself.',
};

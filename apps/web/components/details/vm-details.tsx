'use client';
// A VM in the details panel: badges, hazard reason, devices with their tables, explain link, destroy.
// Destroy is refused with EBUSY while devices are attached; the errno shows inline.
import Link from 'next/link';
import { enc } from '../../lib/api';
import type { LabState, VmState } from '../../lib/types';
import { latentText } from '../../lib/use-latent';
import { ActionForm } from '../actions/action-form';
import { latentOf } from '../topology/labels';
import { Facts } from './facts';
import type { KindProps } from './kind-props';

/** "d1 (no-snoop) → HWPT 3 no SNP; ..." for the VM's devices: one pass over the lab's devices and tables, not
 * a search of them per device (a 50-device VM in a 10,000-device lab re-rendered in tens of ms). */
function deviceLines(state: LabState, v: VmState): string {
  const wanted = new Set(v.devices);
  const devices = new Map(state.devices.filter((d) => wanted.has(d.name)).map((d) => [d.name, d]));
  const hwpts = new Map(state.hwpts.map((h) => [h.id, h]));
  return v.devices
    .map((name) => {
      const d = devices.get(name);
      const h = d && d.hwpt !== null ? hwpts.get(d.hwpt) : undefined;
      const snp = h ? (h.enforceCacheCoherency ? 'SNP' : 'no SNP') : 'no table';
      return `${name}${d?.noSnoop ? ' (no-snoop)' : ''} → ${h ? `HWPT ${h.id} ${snp}` : snp}`;
    })
    .join('; ');
}

// Long only in markup: every fact of a VM, its hazards and its actions in one panel.
export function VmDetails({ lab, state, id, readOnly, onDone }: KindProps) {
  const href = (p: string) => `/labs/${enc(lab)}${p}`;
  const v = state.vms.find((x) => x.name === id);
  if (!v) return <p className="muted">VM {id} does not exist at this seq.</p>;
  const other = state.vms.find((x) => x.name !== id)?.name;
  return (
    <section aria-label="Details">
      <h2>
        VM {v.name}{' '}
        <span className={`badge ${v.wbinvd ? 'amber' : 'off'}`}>{v.wbinvd ? 'wbinvd ON' : 'wbinvd off'}</span>{' '}
        {v.coherencyHazard ? (
          <Link
            className="badge red"
            href={href(`/explain?a=${enc(v.name)}#remedies`)}
            title="Why, and remedies"
          >
            HAZARD
          </Link>
        ) : null}
      </h2>
      {v.coherencyHazard ? (
        <p className="refused">
          Coherency hazard: KVM treats this VM as coherent while a device can do no-snoop DMA through a table
          without SNP.
        </p>
      ) : null}
      {latentOf(v).map((l) => (
        <p key={`${l.device}-${l.hwpt}`} className="refused">
          <span className="badge latent">latent hazard</span> {latentText(l)}.{' '}
          <Link href={href(`/explain?a=${enc(v.name)}#remedies`)}>Why, and remedies</Link>
        </p>
      ))}
      <Facts
        rows={[
          ['IOAS', v.ioas],
          ['memory', v.memory ?? '—'],
          ['devices', v.devices.length ? deviceLines(state, v) : '—'],
          ['non-coherent', v.noncoherentDma],
          ['wbinvd', v.wbinvd ? 'emulated (costs speed)' : 'off'],
        ]}
      />
      <p className="links">
        <Link href={href(`/explain?a=${enc(v.name)}`)}>Explain {v.name}</Link>
        {other ? (
          <>
            {' · '}
            <Link href={href(`/explain?a=${enc(v.name)}&b=${enc(other)}`)}>
              Explain {v.name} vs {other}
            </Link>
          </>
        ) : null}
      </p>
      <ActionForm
        key={`destroy-${id}`}
        title="Destroy VM"
        danger
        fields={[]}
        disabled={readOnly}
        disabledReason={
          v.devices.length
            ? `Unplug its devices first (${v.devices.join(', ')}): a VM with devices cannot go.`
            : null
        }
        confirm={`VM ${v.name} and its IOAS are destroyed (a new event; revert brings them back).`}
        onDone={onDone}
        build={() => (c) => c.destroyVm(lab, v.name)}
      />
    </section>
  );
}

// One VM explained: why it emulates wbinvd or not and whether it is in a hazard (with the event that set
// it), latent hazards one unplug away, summary, chain, the VM under other policies, remedies.
import Link from 'next/link';
import { enc } from '../../lib/api';
import { effectText } from '../../lib/format';
import type { Comparison, LabEvent, VmExplanation } from '../../lib/types';
import { CopyButton } from '../shell/copy-button';
import { ChainList } from './chain-list';
import { KernelsTable } from './kernels-table';
import { RemedyCard } from './remedy-card';

function verdict(x: VmExplanation): string {
  const { a } = x;
  const wb = a.wbinvd ? `${a.vm} emulates wbinvd` : `${a.vm} does not emulate wbinvd`;
  const hz = a.coherencyHazard ? ' and is in a coherency hazard' : '';
  const since = x.cause ? `, since event ${x.cause.seq} (${x.cause.op})` : '';
  return `${wb}${hz}${since}.`;
}

/** Every policy's outcome for the VM, this lab's own first; refusals as Compare counts them. */
function counterRows(x: VmExplanation, compare: Comparison | null) {
  const rows = Object.entries(x.counterfactual).map(
    ([policy, r]) => [policy, { a: r?.a ?? null, refused: r?.refused ?? 0 }] as const,
  );
  const own = rows.some(([p]) => p === x.policy) ? [] : [[x.policy, { a: x.a, refused: 0 }] as const];
  return [...own, ...rows].map(([policy, r]) => {
    const counted = compare?.policies.find((p) => p.policy === policy)?.refused;
    return [policy, { ...r, refused: counted ?? r.refused }] as const;
  });
}

export function VmExplanationView({
  lab,
  x,
  events,
  seq,
  onApplied,
  compare,
}: {
  lab: string;
  x: VmExplanation;
  compare: Comparison | null;
  events: LabEvent[];
  seq: number;
  onApplied: (before: number) => void;
}) {
  return (
    <>
      <section aria-label="Verdict">
        <p className={`verdict${x.a.wbinvd || x.a.coherencyHazard ? '' : ' same'}`}>{verdict(x)}</p>
      </section>
      {x.cause ? (
        <section aria-label="Cause">
          <h2>Cause</h2>
          <p className="mono">
            <Link href={`/labs/${enc(lab)}?seq=${x.cause.seq}`}>event {x.cause.seq}</Link>: {x.cause.op} →{' '}
            {effectText(x.cause.effect)}
          </p>
        </section>
      ) : null}
      <LatentHazards x={x} />
      <section aria-label="Summary">
        <h2>Summary</h2>
        <p>{x.summary}</p>
        <CopyButton label="Copy summary" text={() => x.summary} />
      </section>
      <section aria-label="Causal chain">
        <h2>Chain</h2>
        <ChainList
          lab={lab}
          chain={x.chain}
          events={events}
          marked={x.cause?.seq ?? null}
          markLabel="cause"
        />
      </section>
      <VmCounterfactuals x={x} compare={compare} />
      <KernelsTable kernels={x.kernels} kernel={x.kernel} vms={[x.a.vm]} />
      <section aria-label="Remedies" id="remedies">
        <h2>Remedies</h2>
        {x.remedies.length === 0 ? <p className="muted">No remedy needed or found.</p> : null}
        <ul className="cards" style={{ listStyle: 'none', padding: 0 }}>
          {x.remedies.map((r, i) => (
            <RemedyCard
              // biome-ignore lint/suspicious/noArrayIndexKey: remedies are recomputed as a whole.
              key={`${x.seq}-${i}`}
              lab={lab}
              remedy={r}
              vms={[x.a.vm]}
              index={i}
              seq={seq}
              onApplied={onApplied}
            />
          ))}
        </ul>
      </section>
    </>
  );
}

/** Hazards one unplug away: the device, its table without SNP, and the op that would trigger it. */
function LatentHazards({ x }: { x: VmExplanation }) {
  return (
    <section aria-label="Latent hazards">
      <h2>Latent hazards</h2>
      {x.latent.length === 0 ? (
        <p className="muted">None: no single unplug would leave this VM in a hazard.</p>
      ) : null}
      <ul>
        {x.latent.map((l) => (
          <li key={`${l.device}-${l.hwpt}`}>
            <span className="badge latent">latent hazard</span> {l.device} can do no-snoop DMA on HWPT{' '}
            {l.hwpt} (no SNP); trigger:{' '}
            <span className="mono">
              unplug {l.trigger.device} from {l.trigger.vm}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The VM under every policy, this lab's own first, refusals counted as Compare counts them. */
function VmCounterfactuals({ x, compare }: { x: VmExplanation; compare: Comparison | null }) {
  return (
    <section aria-label="Counterfactuals">
      <h2>Under other policies</h2>
      <table aria-label="Counterfactuals">
        <thead>
          <tr>
            <th>policy</th>
            <th>{x.a.vm}</th>
            <th>refused ops</th>
          </tr>
        </thead>
        <tbody>
          {counterRows(x, compare).map(([policy, r]) => (
            <tr key={policy}>
              <td>
                {policy}
                {policy === x.policy ? ' (this lab)' : ''}
              </td>
              <td>
                {r.a ? (
                  <>
                    <span className={`badge ${r.a.wbinvd ? 'amber' : 'off'}`}>
                      {r.a.wbinvd ? 'wbinvd ON' : 'off'}
                    </span>{' '}
                    {r.a.coherencyHazard ? <span className="badge red">HAZARD</span> : null}
                  </>
                ) : (
                  '—'
                )}
              </td>
              <td className="mono">{r.refused}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

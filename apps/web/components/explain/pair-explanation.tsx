// Two VMs explained: verdict, first divergence, summary (copyable), chain, counterfactuals, remedies.
import Link from 'next/link';
import { enc } from '../../lib/api';
import { effectText, inputText } from '../../lib/format';
import type { Comparison, Explanation, LabEvent } from '../../lib/types';
import { CopyButton } from '../shell/copy-button';
import { ChainList } from './chain-list';
import { Counterfactuals } from './counterfactuals';
import { KernelsTable } from './kernels-table';
import { RemedyCard } from './remedy-card';
import { verdictSentence } from './verdict';

interface Props {
  lab: string;
  x: Explanation;
  compare: Comparison | null;
  events: LabEvent[];
  seq: number;
  onApplied: (before: number) => void;
}

export function PairExplanation({ lab, x, compare, events, seq, onApplied }: Props) {
  const first = x.firstDivergence ?? null;
  const firstEvent = first ? events.find((e) => e.seq === first.seq) : undefined;
  return (
    <>
      <section aria-label="Verdict">
        <p className={`verdict${x.diverges ? '' : ' same'}`}>{verdictSentence(x, events)}</p>
      </section>
      {first ? (
        <section aria-label="First divergence">
          <h2>First divergence</h2>
          <p className="mono">
            <Link href={`/labs/${enc(lab)}?seq=${first.seq}`}>event {first.seq}</Link>: {first.op}{' '}
            {firstEvent ? inputText(firstEvent.input) : ''} → {effectText(first.effect)}
          </p>
        </section>
      ) : null}
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
          marked={first?.seq ?? null}
          markLabel="first divergence"
        />
      </section>
      <section aria-label="Counterfactuals">
        <h2>Counterfactuals</h2>
        <div className="scroll-x">
          <Counterfactuals x={x} compare={compare} />
        </div>
      </section>
      <KernelsTable kernels={x.kernels} kernel={x.kernel} vms={[x.a.vm, x.b.vm]} />
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
              vms={[x.a.vm, x.b.vm]}
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

// The legend of the topology: every badge, abbreviation and edge style in words (docs/architecture.md: one meaning per
// colour). The same words are in each node's hover card and, for exports, under the picture.
import { memo } from 'react';
import { EDGE_MEANING } from '../topology/labels';

function Edge({ tone }: { tone: 'snp' | 'nosnp' | 'cross' | 'plain' }) {
  const stroke = tone === 'snp' ? 'var(--snp)' : tone === 'plain' ? 'var(--muted)' : 'var(--nosnp)';
  const dash = tone === 'nosnp' ? '5 3' : tone === 'cross' ? '1 4' : undefined;
  return (
    <svg width="26" height="10" aria-hidden="true">
      <line
        x1="1"
        y1="5"
        x2="25"
        y2="5"
        stroke={stroke}
        strokeWidth="2"
        strokeDasharray={dash}
        strokeLinecap="round"
      />
    </svg>
  );
}

function LegendInner() {
  return (
    <section aria-label="Legend" className="legend">
      <h3>legend</h3>
      <dl className="legend-list">
        <dt>
          <span className="badge snp">SNP</span>
        </dt>
        <dd>table sets the snoop bit: devices cannot bypass caches</dd>
        <dt>
          <span className="badge nosnp">no SNP</span>
        </dt>
        <dd>table cannot: no-snoop DMA goes through</dd>
        <dt>
          <span className="badge snp">SC</span>
        </dt>
        <dd>IOMMU unit with snoop control (no SC: without)</dd>
        <dt>
          <span className="badge off">NS</span>
        </dt>
        <dd>device can issue no-snoop DMA</dd>
        <dt>
          <span className="badge amber">wbinvd ON</span>
        </dt>
        <dd>KVM emulates WBINVD: costs speed</dd>
        <dt>
          <span className="badge red">HAZARD</span>
        </dt>
        <dd>KVM thinks it is coherent but it is not: costs correctness</dd>
        <dt>
          <span className="badge off">latent</span>
        </dt>
        <dd>no hazard now, but one unplug away (explain says which)</dd>
        <dt className="mono">nc 1</dt>
        <dd>KVM's non-coherent DMA count of the VM</dd>
        <dt className="mono">2M×512</dt>
        <dd>leaves by page size × count</dd>
        <dt>
          <Edge tone="snp" />
        </dt>
        <dd>{EDGE_MEANING.snp}</dd>
        <dt>
          <Edge tone="nosnp" />
        </dt>
        <dd>{EDGE_MEANING.nosnp}</dd>
        <dt>
          <Edge tone="cross" />
        </dt>
        <dd>{EDGE_MEANING.cross}</dd>
        <dt>
          <Edge tone="plain" />
        </dt>
        <dd>device → its unit; table → IOAS; IOAS → VM</dd>
      </dl>
      <p className="muted">Hover any node or edge for its card; double-click a table to inspect it.</p>
    </section>
  );
}

/** Static: memoised so a live update of the rail does not redraw it. */
export const Legend = memo(LegendInner);

'use client';
// A lab's home: live topology in the middle, filters left, details and actions right, timeline below.
// URL carries the selection (?sel=vm:VM1) and the seq being viewed (?seq=N).
import { useRouter } from 'next/navigation';
import { useCallback, useMemo, useRef, useState } from 'react';
import { enc } from '../../lib/api';
import { type Layout, layoutLab } from '../../lib/layout';
import { useLab } from '../../lib/use-lab';
import { useQuery } from '../../lib/use-query';
import type { Selection } from '../actions/action-specs';
import { ActionsPanel } from '../actions/actions-panel';
import { DetailsPanel } from '../details/details-panel';
import { LabHeader } from '../shell/lab-header';
import type { Shortcut } from '../shell/shortcuts';
import { Timeline } from '../timeline/timeline';
import { TopologyCanvas } from '../topology/topology-canvas';
import { ExportButtons } from './export-buttons';
import { type Filters, focusSet } from './focus';
import { LeftRail } from './left-rail';
import { PastBar } from './past-bar';
import { usePastState } from './use-past-state';

const NO_FLASH: ReadonlySet<string> = new Set();

export function LabView({ lab }: { lab: string }) {
  const live = useLab(lab);
  const [query, setQuery] = useQuery();
  const router = useRouter();
  const seqParam = query.get('seq');
  const wanted = seqParam === null ? null : Number(seqParam);
  const viewSeq =
    wanted !== null && Number.isFinite(wanted) && !(live.seq > 0 && wanted >= live.seq) ? wanted : null;
  const { past, error: pastError } = usePastState(lab, viewSeq);
  const state = viewSeq !== null ? past : live.state;
  const selRaw = query.get('sel');
  const selection: Selection | null = useMemo(() => {
    if (!selRaw) return null;
    const i = selRaw.indexOf(':');
    return i > 0 ? { kind: selRaw.slice(0, i), id: selRaw.slice(i + 1) } : null;
  }, [selRaw]);
  const [filters, setFilters] = useState<Filters>({ vm: '', iommu: '', hazardOnly: false, search: '' });
  const svgRef = useRef<SVGSVGElement>(null);
  const scrubRef = useRef<HTMLInputElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);

  // The previous layout lets unchanged nodes keep their identity (a cache, so a discarded render is harmless).
  const layoutCache = useRef<Layout | null>(null);
  const layout = useMemo(() => {
    const next = state ? layoutLab(state, layoutCache.current) : null;
    layoutCache.current = next;
    return next;
  }, [state]);
  // A change to an IOAS changes every page table mirroring it: flash those too.
  const flash = useMemo(() => {
    if (viewSeq !== null) return NO_FLASH;
    if (!state || live.flash.size === 0) return live.flash;
    const out = new Set(live.flash);
    for (const h of state.hwpts) if (live.flash.has(`ioas:${h.ioas}`)) out.add(`hwpt:${h.id}`);
    return out;
  }, [live.flash, state, viewSeq]);
  const focus = useMemo(() => (state ? focusSet(state, filters) : null), [state, filters]);

  const scrub = useCallback(
    (seq: number | null) => setQuery({ seq: seq === null ? null : String(seq) }),
    [setQuery],
  );
  const select = useCallback((key: string | null) => setQuery({ sel: key }), [setQuery]);
  const open = useCallback(
    (key: string) => {
      if (key.startsWith('hwpt:')) router.push(`/labs/${enc(lab)}/hwpts/${key.slice(5)}`);
    },
    [router, lab],
  );
  const at = viewSeq ?? live.seq;
  const step = (d: number) => {
    const next = Math.min(live.seq, Math.max(0, at + d));
    scrub(next >= live.seq ? null : next);
  };
  const vms = state?.vms ?? [];
  const shortcuts: Shortcut[] = [
    { keys: '/', label: 'search objects', run: () => searchRef.current?.focus() },
    {
      keys: 'e',
      label: 'explain (first two VMs, or the selected one)',
      run: () => {
        const a = selection?.kind === 'vm' ? selection.id : vms[0]?.name;
        const b = vms.find((v) => v.name !== a)?.name;
        router.push(`/labs/${enc(lab)}/explain${a && b ? `?a=${enc(a)}&b=${enc(b)}` : ''}`);
      },
    },
    { keys: 'c', label: 'compare policies', run: () => router.push(`/labs/${enc(lab)}/compare`) },
    { keys: 't', label: 'focus the timeline', run: () => scrubRef.current?.focus() },
    { keys: 'ArrowLeft', label: 'one event back', run: () => step(-1) },
    { keys: 'ArrowRight', label: 'one event forward', run: () => step(1) },
    { keys: 'g l', label: 'go live', run: () => scrub(null) },
  ];

  const [forceDetail, setForceDetail] = useState(false);

  return (
    <>
      <LabHeader
        lab={lab}
        policy={state?.policy}
        seq={at}
        connected={live.connected}
        past={viewSeq !== null}
        current="topology"
        shortcuts={shortcuts}
      >
        <ExportButtons lab={lab} layout={layout} svgRef={svgRef} setForceDetail={setForceDetail} />
      </LabHeader>
      <div className="lab-grid">
        {state ? (
          <LeftRail
            lab={lab}
            state={state}
            filters={filters}
            onFilters={setFilters}
            searchRef={searchRef}
            onSelect={select}
          />
        ) : (
          <aside className="rail" />
        )}
        <main className="center" aria-label="Topology">
          {viewSeq !== null ? <PastBar lab={lab} seq={viewSeq} onLive={() => scrub(null)} /> : null}
          {live.error ? (
            <p role="alert" className="refused" style={{ padding: state ? '4px 12px' : 16, margin: 0 }}>
              {live.error.code}: {live.error.message}
              {state ? ' — showing the last state received' : ''}
            </p>
          ) : null}
          {pastError ? (
            <p role="alert" className="refused">
              {pastError.code}: {pastError.message}
            </p>
          ) : null}
          {layout ? (
            <TopologyCanvas
              layout={layout}
              selected={selRaw}
              flash={flash}
              focus={focus}
              onSelect={select}
              onOpen={open}
              svgRef={svgRef}
              forceDetail={forceDetail}
            />
          ) : (
            <p className="muted" style={{ padding: 16 }}>
              Loading lab…
            </p>
          )}
        </main>
        <aside className="details" aria-label="Details and actions">
          {state ? (
            <>
              <DetailsPanel
                lab={lab}
                state={state}
                selection={selection}
                readOnly={viewSeq !== null}
                onDone={live.refresh}
              />
              <ActionsPanel
                lab={lab}
                state={state}
                selection={selection}
                readOnly={viewSeq !== null}
                onDone={live.refresh}
              />
            </>
          ) : null}
        </aside>
        <Timeline
          ref={scrubRef}
          events={live.events}
          liveSeq={live.seq}
          viewSeq={viewSeq}
          mark={null}
          onScrub={scrub}
        />
      </div>
    </>
  );
}

'use client';
// A lab's home: live topology in the middle, filters left, details and actions right, timeline below.
// URL carries the selection (?sel=vm:VM1) and the seq being viewed (?seq=N).
import { useRouter } from 'next/navigation';
import { memo, type RefObject, useCallback, useMemo, useRef, useState } from 'react';
import { enc } from '../../lib/api';
import { type Layout, layoutLab } from '../../lib/layout';
import type { LabState } from '../../lib/types';
import { type LiveLab, useLab } from '../../lib/use-lab';
import { useLatent, withLatent } from '../../lib/use-latent';
import { useQuery } from '../../lib/use-query';
import type { Selection } from '../actions/action-specs';
import { ActionsPanel } from '../actions/actions-panel';
import { DetailsPanel } from '../details/details-panel';
import { LabHeader } from '../shell/lab-header';
import { Timeline } from '../timeline/timeline';
import { ExportButtons } from './export-buttons';
import { type Filters, focusSet } from './focus';
import { LabCenter } from './lab-center';
import { labShortcuts } from './lab-shortcuts';
import { LeftRail } from './left-rail';
import { usePastState } from './use-past-state';

const NO_FLASH: ReadonlySet<string> = new Set();

function parseSelection(raw: string | null): Selection | null {
  if (!raw) return null;
  const i = raw.indexOf(':');
  return i > 0 ? { kind: raw.slice(0, i), id: raw.slice(i + 1) } : null;
}

/** The layout of the shown state; the previous layout lets unchanged nodes keep their identity. */
function useLayout(state: LabState | null): Layout | null {
  const cache = useRef<Layout | null>(null);
  return useMemo(() => {
    const next = state ? layoutLab(state, cache.current) : null;
    cache.current = next;
    return next;
  }, [state]);
}

/** The filters' focus; a refreshed state that keeps the same keys keeps the same set, so what the canvas
 * derives from it (edge paths, dimmed chunks) is not rebuilt on every refresh of a streaming lab. */
function useFocus(state: LabState | null, filters: Filters): ReadonlySet<string> | null {
  const cache = useRef<ReadonlySet<string> | null>(null);
  return useMemo(() => {
    const next = state ? focusSet(state, filters) : null;
    const prev = cache.current;
    const kept = prev && next && prev.size === next.size && [...next].every((k) => prev.has(k)) ? prev : next;
    cache.current = kept;
    return kept;
  }, [state, filters]);
}

/** Nodes to flash: what the stream touched, plus every page table mirroring a touched IOAS. */
function useFlash(live: LiveLab, state: LabState | null, past: boolean): ReadonlySet<string> {
  return useMemo(() => {
    if (past) return NO_FLASH;
    if (!state || live.flash.size === 0) return live.flash;
    const out = new Set(live.flash);
    for (const h of state.hwpts) if (live.flash.has(`ioas:${h.ioas}`)) out.add(`hwpt:${h.id}`);
    return out;
  }, [live.flash, state, past]);
}

/** The URL's part of the view: the seq shown (null = live; a seq at or past live is live) and the selection. */
function useLabQuery(liveSeq: number) {
  const [query, setQuery] = useQuery();
  const wanted = query.get('seq') === null ? null : Number(query.get('seq'));
  const viewSeq =
    wanted !== null && Number.isFinite(wanted) && !(liveSeq > 0 && wanted >= liveSeq) ? wanted : null;
  const selRaw = query.get('sel');
  const selection = useMemo(() => parseSelection(selRaw), [selRaw]);
  return { viewSeq, selRaw, selection, setQuery };
}

/** Details of the selection (or the lab) and the actions, read-only in the past. Memoised: a stream
 * re-renders the page for every batch of events (log, seq, flash), while these change only with the state
 * or the selection, and their forms walk every device of the lab. */
const DetailsAside = memo(function DetailsAside(props: {
  lab: string;
  state: LabState | null;
  selection: Selection | null;
  readOnly: boolean;
  onDone: () => void;
}) {
  const { state, ...rest } = props;
  return (
    <aside className="details" aria-label="Details and actions">
      {state ? (
        <>
          <DetailsPanel state={state} {...rest} />
          <ActionsPanel state={state} {...rest} />
        </>
      ) : null}
    </aside>
  );
});

/** Opening a table's inspector, and the view's keys (`?` lists them), driving its refs and the URL. */
function useLabKeys(
  lab: string,
  view: {
    state: LabState | null;
    selection: Selection | null;
    at: number;
    liveSeq: number;
    scrub: (seq: number | null) => void;
  },
  refs: { searchRef: RefObject<HTMLInputElement | null>; scrubRef: RefObject<HTMLInputElement | null> },
) {
  const router = useRouter();
  const { state, selection, at, liveSeq, scrub } = view;
  const open = useCallback(
    (key: string) => key.startsWith('hwpt:') && router.push(`/labs/${enc(lab)}/hwpts/${key.slice(5)}`),
    [router, lab],
  );
  const shortcuts = labShortcuts({
    search: () => refs.searchRef.current?.focus(),
    explain: () => router.push(explainHref(lab, state, selection)),
    compare: () => router.push(`/labs/${enc(lab)}/compare`),
    timeline: () => refs.scrubRef.current?.focus(),
    step: (d) => {
      const next = Math.min(liveSeq, Math.max(0, at + d));
      scrub(next >= liveSeq ? null : next);
    },
    live: () => scrub(null),
  });
  return { open, shortcuts };
}

/** The state on screen: the live one (with latent hazards badged), or the past one while scrubbed. */
function useShownState(lab: string, live: LiveLab, viewSeq: number | null) {
  const { past, error: pastError } = usePastState(lab, viewSeq);
  const latent = useLatent(lab, live.state, viewSeq === null);
  const liveState = useMemo(() => withLatent(live.state, latent), [live.state, latent]);
  return { state: viewSeq !== null ? past : liveState, pastError };
}

// The page that wires every panel of a lab together (header, rail, canvas, details, timeline) and the URL.
// Long only in props passed down: each panel is its own component.
export function LabView({ lab }: { lab: string }) {
  const live = useLab(lab);
  const { viewSeq, selRaw, selection, setQuery } = useLabQuery(live.seq);
  const { state, pastError } = useShownState(lab, live, viewSeq);
  const [filters, setFilters] = useState<Filters>({ vm: '', iommu: '', hazardOnly: false, search: '' });
  const [forceDetail, setForceDetail] = useState(false);
  const svgRef = useRef<SVGSVGElement>(null);
  const scrubRef = useRef<HTMLInputElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const layout = useLayout(state);
  const flash = useFlash(live, state, viewSeq !== null);
  const focus = useFocus(state, filters);

  const scrub = useCallback(
    (seq: number | null) => setQuery({ seq: seq === null ? null : String(seq) }),
    [setQuery],
  );
  const select = useCallback((key: string | null) => setQuery({ sel: key }), [setQuery]);
  const at = viewSeq ?? live.seq;
  const { open, shortcuts } = useLabKeys(
    lab,
    { state, selection, at, liveSeq: live.seq, scrub },
    { searchRef, scrubRef },
  );
  const readOnly = viewSeq !== null;

  return (
    <>
      <LabHeader
        lab={lab}
        policy={state?.policy}
        kernel={kernelOf(state)}
        seq={at}
        connected={live.connected}
        past={readOnly}
        current="topology"
        shortcuts={shortcuts}
      >
        <ExportButtons
          lab={lab}
          state={state}
          layout={layout}
          svgRef={svgRef}
          setForceDetail={setForceDetail}
        />
      </LabHeader>
      <div className="lab-grid">
        <LabCenter
          lab={lab}
          state={state}
          layout={layout}
          viewSeq={viewSeq}
          errors={[live.error, pastError]}
          selected={selRaw}
          flash={flash}
          focus={focus}
          onSelect={select}
          onOpen={open}
          onLive={() => scrub(null)}
          onReverted={() => {
            scrub(null);
            live.refresh();
          }}
          svgRef={svgRef}
          forceDetail={forceDetail}
        />
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
        <DetailsAside
          lab={lab}
          state={state}
          selection={selection}
          readOnly={readOnly}
          onDone={live.refresh}
        />
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

/** The lab's kernel profile, once the state carries one. */
export function kernelOf(state: LabState | null): string | undefined {
  return (state as { kernel?: string } | null)?.kernel;
}

/** Explain for the selected VM alone, or the first two VMs side by side. */
function explainHref(lab: string, state: LabState | null, selection: Selection | null): string {
  const base = `/labs/${enc(lab)}/explain`;
  if (selection?.kind === 'vm') return `${base}?a=${enc(selection.id)}`;
  const [a, b] = state?.vms.map((v) => v.name) ?? [];
  return a && b ? `${base}?a=${enc(a)}&b=${enc(b)}` : a ? `${base}?a=${enc(a)}` : base;
}

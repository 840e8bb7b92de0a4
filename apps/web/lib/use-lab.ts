// One lab, live: the WebSocket stream (hello/events/resync) keeps the state and the event log current,
// marks touched nodes for a brief flash, and reconnects with `since` after a drop.
'use client';
import { type MutableRefObject, startTransition, useCallback, useEffect, useRef, useState } from 'react';
import { ApiFailure, api } from './api';
import { markData } from './perf';
import { shareState } from './same';
import { touchedKeys } from './touched';
import type { LabEvent, LabState } from './types';

const FLASH_MS = 1100;
const KEEP_EVENTS = 5000;
/** Least time between two state fetches: under a fast stream the view moves at most this often. */
const REFRESH_GAP_MS = 150;
const SHARE_KEYS = { iommus: 'name', devices: 'name', vms: 'name', ioas: 'id', hwpts: 'id' };
const share = (prev: LabState | null, next: LabState): LabState =>
  shareState(
    prev as unknown as Record<string, unknown> | null,
    next as unknown as Record<string, unknown>,
    SHARE_KEYS,
  ) as unknown as LabState;

export interface LiveLab {
  state: LabState | null;
  events: LabEvent[];
  seq: number;
  connected: boolean;
  error: ApiFailure | null;
  flash: ReadonlySet<string>;
  refresh: () => void;
}

/** `prev` with `incoming` merged in seq order (a later copy of a seq wins), keeping the last KEEP_EVENTS. */
export function mergeEvents(prev: LabEvent[], incoming: LabEvent[]): LabEvent[] {
  if (incoming.length === 0) return prev;
  const lastSeq = prev.at(-1)?.seq ?? 0;
  const first = incoming[0]?.seq ?? 0;
  let merged: LabEvent[];
  if (first > lastSeq) merged = prev.concat(incoming);
  else {
    const bySeq = new Map(prev.map((e) => [e.seq, e]));
    for (const e of incoming) bySeq.set(e.seq, e);
    merged = [...bySeq.values()].sort((x, y) => x.seq - y.seq);
  }
  return merged.length > KEEP_EVENTS ? merged.slice(-KEEP_EVENTS) : merged;
}

/** Every event after `from`, page by page. */
async function fetchEvents(lab: string, from = 0): Promise<LabEvent[]> {
  const all: LabEvent[] = [];
  let after = from;
  for (;;) {
    const page = await api.events(lab, { after, limit: 1000 });
    all.push(...page);
    const last = page.at(-1);
    if (!last || page.length < 1000) return all;
    after = last.seq;
  }
}

interface Sinks {
  setState: (update: (prev: LabState | null) => LabState | null) => void;
  setError: (e: ApiFailure | null) => void;
  advance: (seq: number) => void;
  alive: MutableRefObject<boolean>;
}

/** Single-flight state refresh: at most one request in flight, one more queued however many batches arrive. */
function useRefresh(lab: string, sinks: Sinks): () => void {
  const fetching = useRef(false);
  const dirty = useRef(false);
  const { setState, setError, advance, alive } = sinks;
  return useCallback(() => {
    dirty.current = true;
    if (fetching.current) return;
    fetching.current = true;
    void (async () => {
      while (dirty.current && alive.current) {
        dirty.current = false;
        try {
          const next = await api.state(lab);
          if (!alive.current) break;
          markData(next.seq);
          // A transition lets React render a big topology in slices, so typing and clicks stay responsive.
          startTransition(() => setState((prev) => (prev && prev.seq > next.seq ? prev : share(prev, next))));
          advance(next.seq);
          setError(null);
        } catch (failure) {
          if (failure instanceof ApiFailure) setError(failure);
        }
        if (dirty.current) await new Promise((resolve) => setTimeout(resolve, REFRESH_GAP_MS));
      }
      fetching.current = false;
    })();
  }, [lab, setState, setError, advance, alive]);
}

/** Flashes the nodes touched by incoming events for FLASH_MS after the last of them. */
function flasher(setFlash: (keys: ReadonlySet<string>) => void) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending = new Set<string>();
  return {
    add(events: LabEvent[]) {
      for (const key of touchedKeys(events)) pending.add(key);
      const flashing = new Set(pending);
      startTransition(() => setFlash(flashing));
      clearTimeout(timer);
      timer = setTimeout(() => {
        pending = new Set();
        const cleared = pending;
        startTransition(() => setFlash(cleared));
      }, FLASH_MS);
    },
    stop: () => clearTimeout(timer),
  };
}

export function useLab(lab: string): LiveLab {
  const [state, setState] = useState<LabState | null>(null);
  const [events, setEvents] = useState<LabEvent[]>([]);
  const [seq, setSeq] = useState(0);
  const [connected, setConnected] = useState(false);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [flash, setFlash] = useState<ReadonlySet<string>>(new Set());
  const seqRef = useRef(0);
  const alive = useRef(true);
  const advance = useCallback((next: number) => {
    if (next <= seqRef.current) return;
    seqRef.current = next;
    setSeq(next);
  }, []);
  const refresh = useRefresh(lab, { setState, setError, advance, alive });

  useEffect(() => {
    alive.current = true;
    const flashes = flasher(setFlash);
    let lastEventSeq = 0;
    const merge = (incoming: LabEvent[]) => {
      lastEventSeq = Math.max(lastEventSeq, incoming.at(-1)?.seq ?? 0);
      startTransition(() => setEvents((prev) => mergeEvents(prev, incoming)));
    };
    let hadState = false;
    const onState = (next: LabState, reason: 'hello' | 'resync') => {
      markData(next.seq);
      // The first state renders at once; later ones (resync) render as a transition, like refreshes.
      if (hadState) startTransition(() => setState((prev) => share(prev, next)));
      else setState((prev) => share(prev, next));
      hadState = true;
      advance(next.seq);
      // After a resync only the events this page missed are fetched, not the whole log again.
      if (reason === 'resync')
        void fetchEvents(lab, lastEventSeq).then((missed) => alive.current && merge(missed));
    };
    const onEvents = (incoming: LabEvent[]) => {
      if (incoming.length === 0) return;
      merge(incoming);
      advance(incoming.at(-1)?.seq ?? 0);
      flashes.add(incoming);
      refresh();
    };
    fetchEvents(lab).then(
      (all) => alive.current && merge(all),
      (failure) => failure instanceof ApiFailure && setError(failure),
    );
    // The typed client's stream reconnects with backoff and resumes from the last seq ("since") by itself.
    const stream = api.stream(lab, {
      onState,
      onEvents,
      onError: (e) => setError(new ApiFailure(0, e)),
      onStatus: (status) => {
        setConnected(status === 'open');
        // Without the stream the state still loads (and catches up after a drop) over REST.
        if (status === 'reconnecting' && alive.current) refresh();
      },
    });
    return () => {
      alive.current = false;
      flashes.stop();
      stream.close();
    };
  }, [lab, refresh, advance]);

  return { state, events, seq, connected, error, flash, refresh };
}

// One lab, live: the WebSocket stream (hello/events/resync) keeps the state and the event log current,
// marks touched nodes for a brief flash, and reconnects with `since` after a drop.
'use client';
import { startTransition, useCallback, useEffect, useRef, useState } from 'react';
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

export function useLab(lab: string): LiveLab {
  const [state, setState] = useState<LabState | null>(null);
  const [events, setEvents] = useState<LabEvent[]>([]);
  const [seq, setSeq] = useState(0);
  const [connected, setConnected] = useState(false);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [flash, setFlash] = useState<ReadonlySet<string>>(new Set());
  const seqRef = useRef(0);
  const fetching = useRef(false);
  const dirty = useRef(false);
  const alive = useRef(true);

  // Single-flight state refresh: at most one request in flight, one more queued however many batches arrive.
  const refresh = useCallback(() => {
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
          if (next.seq > seqRef.current) {
            seqRef.current = next.seq;
            setSeq(next.seq);
          }
          setError(null);
        } catch (failure) {
          if (failure instanceof ApiFailure) setError(failure);
        }
        if (dirty.current) await new Promise((resolve) => setTimeout(resolve, REFRESH_GAP_MS));
      }
      fetching.current = false;
    })();
  }, [lab]);

  const loadEvents = useCallback(
    async (from = 0) => {
      const all: LabEvent[] = [];
      let after = from;
      for (;;) {
        const page = await api.events(lab, { after, limit: 1000 });
        all.push(...page);
        const last = page.at(-1);
        if (!last || page.length < 1000) break;
        after = last.seq;
      }
      return all;
    },
    [lab],
  );

  useEffect(() => {
    alive.current = true;
    let flashTimer: ReturnType<typeof setTimeout> | undefined;
    let pendingFlash = new Set<string>();

    let lastEventSeq = 0;
    const mergeEvents = (incoming: LabEvent[]) => {
      lastEventSeq = Math.max(lastEventSeq, incoming.at(-1)?.seq ?? 0);
      setEvents((prev) => {
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
      });
    };

    let hadState = false;
    const takeState = (next: LabState) => {
      markData(next.seq);
      // The first state renders at once; later ones (resync) render as a transition, like refreshes.
      if (hadState) startTransition(() => setState((prev) => share(prev, next)));
      else setState((prev) => share(prev, next));
      hadState = true;
      seqRef.current = Math.max(seqRef.current, next.seq);
      setSeq(seqRef.current);
    };

    const onState = (next: LabState, reason: 'hello' | 'resync') => {
      takeState(next);
      // After a resync only the events this page missed are fetched, not the whole log again.
      if (reason === 'resync') {
        const known = lastEventSeq;
        void loadEvents(known).then((missed) => alive.current && startTransition(() => mergeEvents(missed)));
      }
    };

    const onEvents = (incoming: LabEvent[]) => {
      if (incoming.length > 0) {
        startTransition(() => mergeEvents(incoming));
        const last = incoming.at(-1)?.seq ?? 0;
        if (last > seqRef.current) {
          seqRef.current = last;
          setSeq(last);
        }
        for (const key of touchedKeys(incoming)) pendingFlash.add(key);
        const flashing = new Set(pendingFlash);
        startTransition(() => setFlash(flashing));
        clearTimeout(flashTimer);
        flashTimer = setTimeout(() => {
          pendingFlash = new Set();
          const cleared = pendingFlash;
          startTransition(() => setFlash(cleared));
        }, FLASH_MS);
        refresh();
      }
    };

    // The typed client's stream reconnects with backoff and resumes from the last seq ("since") by itself.
    const connect = () =>
      api.stream(lab, {
        onState,
        onEvents,
        onError: (e) => setError(new ApiFailure(0, e)),
        onStatus: (status) => {
          setConnected(status === 'open');
          // Without the stream the state still loads (and catches up after a drop) over REST.
          if (status === 'reconnecting' && alive.current) refresh();
        },
      });

    loadEvents().then(
      (all) => alive.current && startTransition(() => mergeEvents(all)),
      (failure) => failure instanceof ApiFailure && setError(failure),
    );
    const stream = connect();
    return () => {
      alive.current = false;
      clearTimeout(flashTimer);
      stream.close();
    };
  }, [lab, refresh, loadEvents]);

  return { state, events, seq, connected, error, flash, refresh };
}

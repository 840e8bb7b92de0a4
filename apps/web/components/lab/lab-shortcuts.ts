// The topology view's keyboard shortcuts (`?` lists them): search, explain, compare, timeline, stepping.
// Built from callbacks, so the view decides what each one does.
import type { Shortcut } from '../shell/shortcuts';

interface Hooks {
  search: () => void;
  explain: () => void;
  compare: () => void;
  timeline: () => void;
  step: (delta: number) => void;
  live: () => void;
}

export function labShortcuts(h: Hooks): Shortcut[] {
  return [
    { keys: '/', label: 'search objects', run: h.search },
    { keys: 'e', label: 'explain (the selected VM, or the first two)', run: h.explain },
    { keys: 'c', label: 'compare policies', run: h.compare },
    { keys: 't', label: 'focus the timeline', run: h.timeline },
    { keys: 'ArrowLeft', label: 'one event back', run: () => h.step(-1) },
    { keys: 'ArrowRight', label: 'one event forward', run: () => h.step(1) },
    { keys: 'g l', label: 'go live', run: h.live },
  ];
}

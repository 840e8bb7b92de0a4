// Which topology nodes an event touched, as node keys ("vm:VM1", "hwpt:3"), so the canvas can flash them.
// Keys match the topology layout keys (lib/layout.ts).
import type { LabEvent } from './types';

export function nodeKey(kind: 'iommu' | 'dev' | 'hwpt' | 'ioas' | 'vm', id: string | number): string {
  return `${kind}:${id}`;
}

export function touchedKeys(events: LabEvent[]): string[] {
  const keys = new Set<string>();
  for (const event of events) {
    for (const effect of event.effects ?? []) {
      if (effect.vm) keys.add(nodeKey('vm', effect.vm));
      if (effect.device) keys.add(nodeKey('dev', effect.device));
      if (effect.iommu && effect.type.startsWith('iommu')) keys.add(nodeKey('iommu', effect.iommu));
      if (effect.hwpt !== undefined) keys.add(nodeKey('hwpt', effect.hwpt));
      if (effect.fromHwpt !== undefined) keys.add(nodeKey('hwpt', effect.fromHwpt));
      if (effect.ioas !== undefined) keys.add(nodeKey('ioas', effect.ioas));
    }
  }
  return [...keys];
}

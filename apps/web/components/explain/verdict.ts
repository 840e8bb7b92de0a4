// The verdict sentence of an explanation, e.g. "VM1 emulates wbinvd and VM2 does not, since event 7: …".
// Built from the explanation and the event log only; no rule of thumb of its own.
import { effectText, inputText } from '../../lib/format';
import type { Explanation, LabEvent } from '../../lib/types';

export function describeEvent(seq: number, op: string, event: LabEvent | undefined): string {
  return `event ${seq}: ${op}${event ? ` ${inputText(event.input)}` : ''}`;
}

export function verdictSentence(x: Explanation, events: LabEvent[]): string {
  const { a, b } = x;
  if (!x.diverges) {
    const wb = a.wbinvd ? 'both emulate wbinvd' : 'neither emulates wbinvd';
    const hz = a.coherencyHazard ? ', and both are in a coherency hazard' : '';
    return `${a.vm} and ${b.vm} agree: ${wb}${hz}.`;
  }
  const parts: string[] = [];
  if (a.wbinvd !== b.wbinvd) {
    const [on, off] = a.wbinvd ? [a, b] : [b, a];
    parts.push(`${on.vm} emulates wbinvd and ${off.vm} does not`);
  }
  if (a.coherencyHazard !== b.coherencyHazard) {
    const [bad, good] = a.coherencyHazard ? [a, b] : [b, a];
    parts.push(`${bad.vm} is in a coherency hazard and ${good.vm} is not`);
  }
  const first = x.firstDivergence;
  if (!first) return `${parts.join('; ')}.`;
  const event = events.find((e) => e.seq === first.seq);
  const effect = first.effect ? ` (${effectText(first.effect)})` : '';
  return `${parts.join('; ')}, since ${describeEvent(first.seq, first.op, event)}${effect}.`;
}

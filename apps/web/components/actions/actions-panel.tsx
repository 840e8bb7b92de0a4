'use client';
// The actions block of the details panel: pick an action, fill its form (prefilled from the selection).
// Read-only while the lab is shown in the past.
import { useEffect, useState } from 'react';
import type { LabState } from '../../lib/types';
import { ActionForm } from './action-form';
import { actionSpecs, type Selection, suggestedAction } from './action-specs';

interface Props {
  lab: string;
  state: LabState;
  selection: Selection | null;
  readOnly: boolean;
  onDone: () => void;
}

export function ActionsPanel({ lab, state, selection, readOnly, onDone }: Props) {
  const specs = actionSpecs(lab, state, selection);
  const selKey = selection ? `${selection.kind}:${selection.id}` : '';
  const [chosen, setChosen] = useState(() => suggestedAction(state, selection));
  // A new selection suggests its action; the user's pick stands until then.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reacts to the selection only.
  useEffect(() => setChosen(suggestedAction(state, selection)), [selKey]);
  const spec = specs.find((x) => x.title === chosen) ?? specs[0];
  if (!spec) return null;
  return (
    <section aria-label="Actions">
      <h2>Actions</h2>
      <label>
        Action{' '}
        <select aria-label="Action" value={spec.title} onChange={(e) => setChosen(e.target.value)}>
          {specs.map((x) => (
            <option key={x.title}>{x.title}</option>
          ))}
        </select>
      </label>
      {readOnly ? (
        <p className="muted">Viewing the past: actions are off until you go back to live.</p>
      ) : null}
      <ActionForm
        key={`${spec.title}|${selKey}`}
        title={spec.title}
        fields={spec.fields}
        build={spec.build}
        disabled={readOnly}
        disabledReason={readOnly ? null : spec.disabledReason}
        hint={spec.hint}
        onDone={onDone}
      />
    </section>
  );
}

'use client';
// "Reset the demo": a lab made from a template goes back to how the template left it (new events, after a
// confirmation), so applying remedies to the seed story is never a one-way trip.
import { useEffect, useState } from 'react';
import { api, enc } from '../../lib/api';
import { ActionForm } from '../actions/action-form';

export function ResetDemo({ lab, readOnly, onDone }: { lab: string; readOnly: boolean; onDone: () => void }) {
  const [template, setTemplate] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    api.getLab(lab).then(
      (s) => current && setTemplate(s.template ?? 'empty'),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [lab]);
  if (!template || template === 'empty') return null;
  return (
    <ActionForm
      title="Reset the demo"
      danger
      fields={[]}
      disabled={readOnly}
      confirm={`${lab} goes back to the end of its template (${template}). New events record it; nothing in the history is removed.`}
      build={() => (c) => c.request('POST', `/labs/${enc(lab)}/revert`, { reset: true })}
      onDone={onDone}
    />
  );
}

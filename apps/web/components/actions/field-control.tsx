'use client';
// One field of an action form: label and control tied by id (so a select's options never leak into its
// name), and the field's problem in plain words under it, announced and linked with aria-describedby.
import type { ReactNode } from 'react';
import type { Field } from './action-form';

interface Props {
  id: string;
  field: Field;
  value: string | boolean;
  options: string[];
  problem?: string;
  onChange: (value: string | boolean) => void;
}

export function FieldControl({ id, field: f, value, options, problem, onChange }: Props) {
  const problemId = `${id}-problem`;
  const described = problem ? { 'aria-invalid': true, 'aria-describedby': problemId } : {};
  let control: ReactNode;
  if (f.kind === 'checkbox') {
    control = (
      <input id={id} type="checkbox" checked={Boolean(value)} onChange={(e) => onChange(e.target.checked)} />
    );
  } else if (f.kind === 'select') {
    control = (
      <select id={id} value={String(value)} onChange={(e) => onChange(e.target.value)} {...described}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  } else {
    control = (
      <input
        id={id}
        type="text"
        value={String(value)}
        placeholder={f.placeholder}
        onChange={(e) => onChange(e.target.value)}
        spellCheck={false}
        {...described}
      />
    );
  }
  return (
    <div className={`field${f.kind === 'checkbox' ? ' check' : ''}`}>
      <label htmlFor={id}>{f.label}</label>
      {control}
      {problem ? (
        <span id={problemId} className="field-problem refused" role="alert">
          {problem}
        </span>
      ) : null}
    </div>
  );
}

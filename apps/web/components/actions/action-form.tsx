'use client';
// One lab action as a form: labelled fields, submit, copy as curl, and the refusal (errno + message) inline.
// Values stay in the form across live updates; a select whose options vanish falls back to the first.
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { ApiFailure, call, curlFor, type Request } from '../../lib/api';
import { CopyButton } from '../shell/copy-button';

export type Values = Record<string, string | boolean>;

export interface Field {
  name: string;
  label: string;
  kind?: 'text' | 'select' | 'checkbox';
  options?: string[];
  /** Options that depend on earlier fields (e.g. the devices of the chosen VM). */
  optionsFor?: (values: Values) => string[];
  value: string | boolean;
  placeholder?: string;
}

interface Props {
  title: string;
  fields: Field[];
  build: (values: Values) => Request;
  disabled?: boolean;
  onDone?: () => void;
  /** Destructive actions look it, and never look like the main action. */
  danger?: boolean;
  /** Visible text of the submit button when the title (its accessible name) is too long for a table row. */
  short?: string;
}

function initial(fields: Field[]): Values {
  return Object.fromEntries(fields.map((f) => [f.name, f.value]));
}

export function ActionForm({ title, fields, build, disabled, onDone, danger, short }: Props) {
  const [values, setValues] = useState<Values>(() => initial(fields));
  const [failure, setFailure] = useState<ApiFailure | Error | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const formId = useId();

  // A select whose options changed under it (live update) falls back to its first option.
  const effective: Values = { ...values };
  const optionsOf = new Map<string, string[]>();
  for (const f of fields) {
    if (f.kind !== 'select') continue;
    const options = f.optionsFor ? f.optionsFor(effective) : (f.options ?? []);
    optionsOf.set(f.name, options);
    if (!options.includes(String(effective[f.name]))) effective[f.name] = options[0] ?? '';
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    setDone(false);
    try {
      await call(build(effective));
      setDone(true);
      onDone?.();
    } catch (error) {
      setFailure(error instanceof Error ? error : new Error(String(error)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="action" aria-label={title} onSubmit={submit}>
      {fields.map((f) => {
        const set = (v: string | boolean) => {
          setValues((prev) => ({ ...prev, [f.name]: v }));
          setDone(false);
        };
        // Label and control are siblings tied by id, so a select's options never leak into its name.
        const id = `${formId}-${f.name}`;
        let control: ReactNode;
        if (f.kind === 'checkbox') {
          control = (
            <input
              id={id}
              type="checkbox"
              checked={Boolean(effective[f.name])}
              onChange={(e) => set(e.target.checked)}
            />
          );
        } else if (f.kind === 'select') {
          control = (
            <select id={id} value={String(effective[f.name])} onChange={(e) => set(e.target.value)}>
              {(optionsOf.get(f.name) ?? []).map((o) => (
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
              value={String(effective[f.name])}
              placeholder={f.placeholder}
              onChange={(e) => set(e.target.value)}
              spellCheck={false}
            />
          );
        }
        return (
          <div key={f.name} className={`field${f.kind === 'checkbox' ? ' check' : ''}`}>
            <label htmlFor={id}>{f.label}</label>
            {control}
          </div>
        );
      })}
      <div className="buttons">
        <button
          type="submit"
          className={danger ? 'danger' : 'primary'}
          disabled={disabled || busy}
          aria-label={short ? title : undefined}
        >
          {short ?? title}
        </button>
        <CopyButton
          label="Copy as curl"
          short={short ? 'curl' : undefined}
          text={() => curlFor(build(effective), location.origin)}
        />
      </div>
      {failure ? (
        <p role="alert" className="refused">
          {failure instanceof ApiFailure ? (
            <>
              <b>{failure.code}</b>
              {failure.errno !== undefined ? ` (errno ${failure.errno})` : ''}: {failure.message}
            </>
          ) : (
            failure.message
          )}
        </p>
      ) : null}
      {done ? (
        <p role="status" className="ok">
          {title}: done
        </p>
      ) : null}
    </form>
  );
}

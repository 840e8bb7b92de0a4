'use client';
// One action as a form: fields, submit, "copy as curl", and the outcome inline (errno name and text on
// refusal, plain words next to the field for bad input). Fields are checked before anything is sent; a
// disabled action says why; destructive ones ask first. A select whose options vanish falls back to the first.
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { call, curlFor, type Request } from '../../lib/api';
import { type Friendly, failureText } from '../../lib/messages';
import { ConfirmDialog } from '../shell/confirm-dialog';
import { CopyButton } from '../shell/copy-button';
import { FieldControl } from './field-control';

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
  /** Plain-words problem with the value, or null when it is fine (checked before sending). */
  check?: (value: string, values: Values) => string | null;
}

interface Props {
  title: string;
  fields: Field[];
  build: (values: Values) => Request;
  disabled?: boolean;
  /** Why the action cannot run now; shown under it, and the button is disabled. */
  disabledReason?: string | null;
  /** Called with the response after success. */
  onDone?: (result: unknown, values: Values) => void;
  /** Destructive actions look it, and never look like the main action. */
  danger?: boolean;
  /** Asks this question in a dialog before sending. */
  confirm?: string;
  /** Visible text of the submit button when the title (its accessible name) is too long for a table row. */
  short?: string;
  /** A line under the fields that depends on their values (e.g. the leaves a Map will create). */
  hint?: (values: Values) => ReactNode;
}

function initial(fields: Field[]): Values {
  return Object.fromEntries(fields.map((f) => [f.name, f.value]));
}

/** The values as shown: a select whose options changed under it (live update) takes its first option. */
function effectiveValues(
  fields: Field[],
  values: Values,
): { effective: Values; options: Map<string, string[]> } {
  const effective: Values = { ...values };
  const options = new Map<string, string[]>();
  for (const f of fields) {
    if (f.kind !== 'select') continue;
    const list = f.optionsFor ? f.optionsFor(effective) : (f.options ?? []);
    options.set(f.name, list);
    if (!list.includes(String(effective[f.name]))) effective[f.name] = list[0] ?? '';
  }
  return { effective, options };
}

/** Each field's problem in plain words, by field name (fields without one are left out). */
function problems(fields: Field[], values: Values): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const bad = f.check?.(String(values[f.name] ?? ''), values);
    if (bad) out[f.name] = bad;
  }
  return out;
}

// Long because one form owns its fields, checks, confirmation and outcome; each of those is a small
// component or helper below, and what remains is the state that ties them together.
export function ActionForm(props: Props) {
  const { title, fields, build, disabled, disabledReason, onDone, danger, confirm, short, hint } = props;
  const [values, setValues] = useState<Values>(() => initial(fields));
  const [failure, setFailure] = useState<Failure | null>(null);
  const [shown, setShown] = useState<Record<string, string>>({});
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState(false);
  const formId = useId();
  const { effective, options } = effectiveValues(fields, values);

  const send = async () => {
    setBusy(true);
    setFailure(null);
    setDone(false);
    try {
      const result = await call(build(effective));
      setDone(true);
      onDone?.(result, effective);
    } catch (error) {
      const text = failureText(error instanceof Error ? error : new Error(String(error)));
      if (text.field && fields.some((f) => f.name === text.field)) setShown({ [text.field]: text.text });
      else setFailure(text);
    } finally {
      setBusy(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = problems(fields, effective);
    setShown(found);
    if (Object.keys(found).length > 0) return;
    if (confirm) setAsking(true);
    else void send();
  };

  const reasonId = `${formId}-why`;
  return (
    <form className="action" aria-label={title} onSubmit={submit} noValidate>
      {fields.map((f) => (
        <FieldControl
          key={f.name}
          id={`${formId}-${f.name}`}
          field={f}
          value={effective[f.name] ?? ''}
          options={options.get(f.name) ?? []}
          problem={shown[f.name]}
          onChange={(v) => {
            setValues((prev) => ({ ...prev, [f.name]: v }));
            setShown((prev) => (prev[f.name] ? { ...prev, [f.name]: '' } : prev));
            setDone(false);
          }}
        />
      ))}
      {hint ? <p className="hint muted">{hint(effective)}</p> : null}
      <div className="buttons">
        <button
          type="submit"
          className={danger ? 'danger' : 'primary'}
          disabled={disabled || busy || Boolean(disabledReason)}
          aria-label={short ? title : undefined}
          aria-describedby={disabledReason ? reasonId : undefined}
        >
          {short ?? title}
        </button>
        <CopyButton
          label="Copy as curl"
          short={short ? 'curl' : undefined}
          text={() => curlFor(build(effective), location.origin)}
        />
      </div>
      {disabledReason ? (
        <p id={reasonId} className="why muted">
          {disabledReason}
        </p>
      ) : null}
      <Outcome failure={failure} done={done ? `${title}: done` : null} />
      {asking ? (
        <ConfirmDialog
          title={`${title}?`}
          message={confirm ?? ''}
          confirm={short ?? title}
          onCancel={() => setAsking(false)}
          onConfirm={() => {
            setAsking(false);
            void send();
          }}
        />
      ) : null}
    </form>
  );
}

type Failure = Friendly & { code?: string; errno?: number };

/** The result line under a form: errno name, number and text on refusal, or "done". */
function Outcome({ failure, done }: { failure: Failure | null; done: string | null }) {
  if (failure) {
    return (
      <p role="alert" className="refused">
        {failure.code ? <b>{failure.code}</b> : null}
        {failure.errno !== undefined ? ` (errno ${failure.errno})` : ''}
        {failure.code ? ': ' : ''}
        {failure.text}
      </p>
    );
  }
  return done ? (
    <p role="status" className="ok">
      {done}
    </p>
  ) : null;
}

'use client';
// The inspector's range form: IOVA and length, checked before the range is asked for (garbage or a zero
// length say so next to the field instead of showing nothing).
import { useEffect, useState } from 'react';
import { parseU64 } from '../../lib/format';
import { checkLength, checkU64 } from '../../lib/validate';

export function LeafRangeForm({
  iova,
  length,
  onRange,
}: {
  iova: string;
  length: string;
  onRange: (iova: string, length: string) => void;
}) {
  const [iovaText, setIovaText] = useState(iova);
  const [lengthText, setLengthText] = useState(length);
  const [problems, setProblems] = useState<{ iova?: string | null; length?: string | null }>({});
  useEffect(() => {
    setIovaText(iova);
    setLengthText(length);
  }, [iova, length]);
  const field = (name: 'iova' | 'length', label: string, value: string, set: (v: string) => void) => (
    <label>
      {label}{' '}
      <input
        value={value}
        onChange={(e) => set(e.target.value)}
        aria-invalid={problems[name] ? true : undefined}
        aria-describedby={problems[name] ? `range-${name}-problem` : undefined}
      />
      {problems[name] ? (
        <span id={`range-${name}-problem`} role="alert" className="refused field-problem">
          {' '}
          {problems[name]}
        </span>
      ) : null}
    </label>
  );
  return (
    <form
      className="action range-form"
      aria-label="Leaf range"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const found = { iova: checkU64(iovaText), length: checkLength(lengthText) };
        setProblems(found);
        if (!found.iova && !found.length) onRange(parseU64(iovaText), parseU64(lengthText));
      }}
    >
      {field('iova', 'IOVA', iovaText, setIovaText)}
      {field('length', 'length', lengthText, setLengthText)}
      <button type="submit">Show leaves</button>
    </form>
  );
}

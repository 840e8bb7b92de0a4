'use client';
// Copies text to the clipboard and confirms; when the clipboard is unavailable the text is shown to copy by hand.
// The text is computed on click, so it always matches the form as filled in.
import { useState } from 'react';

export function CopyButton({ text, label, short }: { text: () => string; label: string; short?: string }) {
  const [shown, setShown] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  return (
    <>
      <button
        type="button"
        aria-label={label}
        onClick={async () => {
          const value = text();
          setShown(value);
          try {
            await navigator.clipboard.writeText(value);
            setCopied(true);
          } catch {
            setCopied(false);
          }
        }}
      >
        {short ?? label}
        {copied ? ' ✓' : ''}
      </button>
      {shown !== null ? <pre className="curl">{shown}</pre> : null}
    </>
  );
}

'use client';
// Keyboard shortcuts of a view and the `?` help overlay listing them; keys typed into fields are ignored.
// Multi-key sequences ("g l") are matched by prefix; Escape closes the overlay.
import { useEffect, useRef, useState } from 'react';

export interface Shortcut {
  keys: string;
  label: string;
  run: () => void;
}

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName);
}

// Long because the key handling and the help dialog belong together: the dialog lists these keys.
export function Shortcuts({ shortcuts }: { shortcuts: Shortcut[] }) {
  const [open, setOpen] = useState(false);
  const prefix = useRef<string | null>(null);
  const list = useRef(shortcuts);
  list.current = shortcuts;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'Escape') {
        setOpen(false);
        return;
      }
      if (typing(e.target)) return;
      if (e.key === '?') {
        e.preventDefault();
        setOpen((o) => !o);
        return;
      }
      const typed = prefix.current ? `${prefix.current} ${e.key}` : e.key;
      const match = list.current.find((s) => s.keys === typed);
      if (match) {
        e.preventDefault();
        prefix.current = null;
        match.run();
        return;
      }
      prefix.current = list.current.some((s) => s.keys.startsWith(`${e.key} `)) ? e.key : null;
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <>
      <button type="button" aria-label="Keyboard shortcuts" onClick={() => setOpen(true)}>
        ?
      </button>
      {open ? (
        // biome-ignore lint/a11y/noStaticElementInteractions: clicking the backdrop closes; Escape does too.
        // biome-ignore lint/a11y/useKeyWithClickEvents: Escape is handled on window.
        <div className="dialog-back" onClick={() => setOpen(false)}>
          {/* biome-ignore lint/a11y/useKeyWithClickEvents: only stops the backdrop click. */}
          <div
            className="dialog"
            role="dialog"
            aria-modal="true"
            aria-label="Keyboard shortcuts"
            onClick={(e) => e.stopPropagation()}
          >
            <h2>Keyboard shortcuts</h2>
            <table>
              <tbody>
                <tr>
                  <td>
                    <kbd>?</kbd>
                  </td>
                  <td>this help</td>
                </tr>
                {shortcuts.map((s) => (
                  <tr key={s.keys}>
                    <td>
                      {s.keys.split(' ').map((k) => (
                        <kbd key={k}>{k}</kbd>
                      ))}
                    </td>
                    <td>{s.label}</td>
                  </tr>
                ))}
                <tr>
                  <td>
                    <kbd>Esc</kbd>
                  </td>
                  <td>close</td>
                </tr>
              </tbody>
            </table>
            <p>
              <button type="button" onClick={() => setOpen(false)}>
                Close
              </button>
            </p>
          </div>
        </div>
      ) : null}
    </>
  );
}

'use client';
// A modal question before a destructive or history-changing action: what will happen, Confirm or Cancel.
// Escape and the backdrop cancel; focus starts on Cancel so Enter never destroys by accident.
import { useEffect, useRef } from 'react';

interface Props {
  title: string;
  message: string;
  confirm: string;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmDialog({ title, message, confirm, onConfirm, onCancel }: Props) {
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    cancelRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onCancel();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onCancel]);
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: clicking the backdrop cancels; Escape does too.
    // biome-ignore lint/a11y/useKeyWithClickEvents: Escape is handled on window.
    <div className="dialog-back" onClick={onCancel}>
      {/* biome-ignore lint/a11y/useKeyWithClickEvents: only stops the backdrop click. */}
      <div
        className="dialog"
        role="alertdialog"
        aria-modal="true"
        aria-label={title}
        aria-describedby="confirm-message"
        onClick={(e) => e.stopPropagation()}
      >
        <h2>{title}</h2>
        <p id="confirm-message">{message}</p>
        <p className="buttons-row">
          <button ref={cancelRef} type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="button" className="danger" onClick={onConfirm}>
            {confirm}
          </button>
        </p>
      </div>
    </div>
  );
}

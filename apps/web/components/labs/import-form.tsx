'use client';
// Imports a lab export (JSON file from "Export JSON") as a new lab, optionally under another policy or
// kernel, then opens it. The file is read in the browser and posted as the import body.
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { ApiFailure, api } from '../../lib/api';
import { type ImportRequest, KERNELS, POLICIES, type Policy } from '../../lib/types';

/** Reads the export file and posts it as a new lab ('' policy or kernel: as exported). */
async function importExport(file: File | null, name: string, policy: string, kernel: string): Promise<void> {
  if (!file) throw new Error('choose an export file');
  const exported = JSON.parse(await file.text()) as unknown;
  await api.importLab({
    name,
    ...(policy ? { policy: policy as Policy } : {}),
    ...(kernel ? { kernel: kernel as ImportRequest['kernel'] } : {}),
    export: exported as ImportRequest['export'],
  });
}

export function ImportForm({ onDone }: { onDone: () => void }) {
  const router = useRouter();
  const [name, setName] = useState('');
  const [policy, setPolicy] = useState('');
  const [kernel, setKernel] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  return (
    <form
      className="action"
      aria-label="Import lab"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        setDone(false);
        try {
          await importExport(file, name.trim(), policy, kernel);
          setDone(true);
          onDone();
          router.push(`/labs/${encodeURIComponent(name.trim())}`);
        } catch (failure) {
          setError(
            failure instanceof ApiFailure
              ? `${failure.code}: ${failure.message}`
              : String((failure as Error).message),
          );
        }
      }}
    >
      <label>
        export file
        <input
          type="file"
          accept="application/json,.json"
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        />
      </label>
      <label>
        name
        <input type="text" value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        policy
        <select aria-label="policy" value={policy} onChange={(e) => setPolicy(e.target.value)}>
          <option value="">as exported</option>
          {POLICIES.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      <label>
        kernel
        <select aria-label="kernel" value={kernel} onChange={(e) => setKernel(e.target.value)}>
          <option value="">as exported</option>
          {KERNELS.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
      </label>
      <div className="buttons">
        <button type="submit" className="primary">
          Import lab
        </button>
      </div>
      {error ? (
        <p role="alert" className="refused">
          {error}
        </p>
      ) : null}
      {done ? (
        <p role="status" className="ok">
          imported
        </p>
      ) : null}
    </form>
  );
}

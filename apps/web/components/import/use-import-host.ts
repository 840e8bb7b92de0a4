'use client';
import type { HostImportPlan, Kernel, Policy } from '@ioasid-lab/api';
// The import page's state: the form (every edit drops a preview, which then no longer matches it) and the
// one request it sends, as a preview (dryRun) or as the import itself, which opens the new lab.
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api } from '../../lib/api';
import { failureText, type ImportForm, importRequest, type VmEntry } from './import-request';

export function useImportHost() {
  const router = useRouter();
  const [plan, setPlan] = useState<HostImportPlan | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useImportForm(() => setPlan(null));

  async function run(dryRun: boolean) {
    setError(null);
    setBusy(true);
    try {
      const request = importRequest(form);
      const answer = await api.importHost({ ...request, ...(dryRun ? { dryRun: true } : {}) });
      if (dryRun) setPlan(answer);
      else router.push(`/labs/${encodeURIComponent(request.name)}`);
    } catch (failure) {
      setPlan(null);
      setError(failureText(failure));
    } finally {
      setBusy(false);
    }
  }

  return { form, plan, error, busy, preview: () => run(true), create: () => run(false) };
}

export type ImportFormState = ReturnType<typeof useImportForm>;

/** The form's fields and their edits; `edited` runs after each one. */
function useImportForm(edited: () => void) {
  const [snapshotText, setSnapshotText] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [name, setName] = useState('myhost');
  const [policy, setPolicy] = useState<Policy>('type1');
  const [kernel, setKernel] = useState<Kernel | ''>('');
  const [vms, setVms] = useState<VmEntry[]>([]);
  const [nextId, setNextId] = useState(1);
  const edit =
    <T>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      edited();
    };

  const fields: ImportForm = { snapshotText, name, policy, kernel, vms };
  return {
    ...fields,
    fileName,
    setName: edit(setName),
    setPolicy: edit(setPolicy),
    setKernel: edit(setKernel),
    pasteSnapshot: edit((text: string) => {
      setSnapshotText(text);
      setFileName(null);
    }),
    async uploadSnapshot(file: File) {
      setFileName(file.name);
      setSnapshotText(await file.text());
      edited();
    },
    editVm: edit(({ id, text }: VmEntry) =>
      setVms((list) => list.map((v) => (v.id === id ? { ...v, text } : v))),
    ),
    removeVm: edit((id: number) => setVms((list) => list.filter((v) => v.id !== id))),
    /** VMs with these sources after the others ('' for an empty one to type into). */
    addVms: edit((texts: string[]) => {
      setVms((list) => [...list, ...texts.map((text, i) => ({ id: nextId + i, text }))]);
      setNextId((n) => n + texts.length);
    }),
  };
}

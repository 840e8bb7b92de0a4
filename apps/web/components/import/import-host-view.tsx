'use client';
// "Import my host": the snapshot command (with a copy button), the snapshot (uploaded or pasted) and any
// number of libvirt domain XMLs or QEMU command lines; Preview asks the server for the plan (dryRun) and
// shows what will be created and skipped; Create makes the lab and its VMs in one request and opens it.
import { useId } from 'react';
import { ThemeToggle } from '../shell/theme-toggle';
import styles from './import.module.css';
import { Preview } from './import-preview';
import { SnapshotCommandStep, SnapshotStep, VmsStep } from './import-steps';
import { useImportHost } from './use-import-host';

export function ImportHostView() {
  const ids = useId();
  const { form, plan, error, busy, preview, create } = useImportHost();
  return (
    <>
      <header className="topbar">
        <a className="name" href="/">
          ioasid-lab
        </a>
        <span className="muted">Import my host</span>
        <span className="spacer" />
        <a href="/">All labs</a>
        <ThemeToggle />
      </header>
      <main className="page">
        <h1 className={styles.title}>Import my host</h1>
        <p className="muted">
          Bring a real machine in: its IOMMU units and their capabilities, its IOMMU groups and reserved
          regions, and its VMs booted in the order QEMU plugs their devices. Then explain, compare and kernels
          answer for <em>your</em> host. What is read and how it is decoded: docs/host-import.md.
        </p>
        <SnapshotCommandStep headingId={`${ids}-step1`} />
        <SnapshotStep headingId={`${ids}-step2`} form={form} />
        <VmsStep headingId={`${ids}-step3`} form={form} />
        <div className={styles.row}>
          <button
            type="button"
            className="primary"
            disabled={busy || !form.snapshotText.trim()}
            onClick={preview}
          >
            Preview
          </button>
          <button type="button" disabled={busy || !plan} onClick={create}>
            Create lab and open it
          </button>
        </div>
        {error ? (
          <p role="alert" className="refused">
            {error}
          </p>
        ) : null}
        {plan ? <Preview plan={plan} /> : null}
      </main>
    </>
  );
}

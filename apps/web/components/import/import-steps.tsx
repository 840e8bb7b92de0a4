'use client';
// The import page's three steps: the snapshot command, the snapshot with the lab's name, policy and kernel,
// and the VMs. Each shows and edits the form kept by useImportHost.
import { useEffect, useState } from 'react';
import { KERNELS, POLICIES } from '../../lib/types';
import { CopyButton } from '../shell/copy-button';
import styles from './import.module.css';
import type { ImportFormState } from './use-import-host';

const SNAPSHOT_COMMAND = 'npm run snapshot > host.json';

/** On a host without a checkout: fetch the script from this server, run it (Node 20+, any user). */
function downloadCommand(origin: string): string {
  const host = new URL(origin).hostname;
  const loopback = ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host);
  const auth = loopback ? '' : ' -H "authorization: Bearer $LAB_TOKEN"';
  return `curl -sSO${auth} ${origin}/api/v1/host/snapshot.mjs && node snapshot.mjs > host.json`;
}

export function SnapshotCommandStep({ headingId }: { headingId: string }) {
  // The origin is only known in the browser; the server-rendered page shows '…' until it is.
  const [origin, setOrigin] = useState<string | null>(null);
  useEffect(() => setOrigin(window.location.origin), []);
  return (
    <section aria-labelledby={headingId} className={styles.step}>
      <h2 id={headingId}>1. Take a snapshot on the host</h2>
      <p className="muted">Any user, no root; it only reads sysfs and prints JSON.</p>
      <p>On a host without a checkout, fetch the script from this server and run it:</p>
      <div className={styles.row}>
        <pre className={styles.command}>{origin ? downloadCommand(origin) : '…'}</pre>
        <CopyButton
          text={() => downloadCommand(window.location.origin)}
          label="Copy snapshot command"
          short="Copy"
        />
      </div>
      <p>In a checkout of ioasid-lab:</p>
      <div className={styles.row}>
        <pre className={styles.command}>{SNAPSHOT_COMMAND}</pre>
        <CopyButton text={() => SNAPSHOT_COMMAND} label="Copy checkout command" short="Copy" />
      </div>
    </section>
  );
}

export function SnapshotStep({ headingId, form }: { headingId: string; form: ImportFormState }) {
  return (
    <section aria-labelledby={headingId} className={styles.step}>
      <h2 id={headingId}>2. The snapshot</h2>
      <div className={styles.row}>
        <label>
          upload host.json{' '}
          <input
            type="file"
            accept="application/json,.json"
            aria-label="snapshot file"
            onChange={async (e) => {
              const file = e.target.files?.[0];
              if (file) await form.uploadSnapshot(file);
            }}
          />
        </label>
        {form.fileName ? <span className="muted">{form.fileName}</span> : null}
      </div>
      <label className={styles.block}>
        or paste it
        <textarea
          className={styles.area}
          aria-label="snapshot JSON"
          rows={6}
          spellCheck={false}
          value={form.snapshotText}
          placeholder='{ "format": "ioasid-lab/host-snapshot/v1", ... }'
          onChange={(e) => form.pasteSnapshot(e.target.value)}
        />
      </label>
      <LabSettings form={form} />
    </section>
  );
}

/** The new lab's name, policy and kernel profile. */
function LabSettings({ form }: { form: ImportFormState }) {
  return (
    <div className={styles.row}>
      <label>
        lab name{' '}
        <input
          type="text"
          aria-label="lab name"
          value={form.name}
          onChange={(e) => form.setName(e.target.value)}
        />
      </label>
      <label>
        policy{' '}
        <select
          aria-label="policy"
          value={form.policy}
          onChange={(e) => form.setPolicy(e.target.value as ImportFormState['policy'])}
        >
          {POLICIES.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      <label>
        kernel{' '}
        <select
          aria-label="kernel"
          value={form.kernel}
          onChange={(e) => form.setKernel(e.target.value as ImportFormState['kernel'])}
        >
          <option value="">from the snapshot</option>
          {KERNELS.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
      </label>
    </div>
  );
}

export function VmsStep({ headingId, form }: { headingId: string; form: ImportFormState }) {
  return (
    <section aria-labelledby={headingId} className={styles.step}>
      <h2 id={headingId}>3. Its VMs (optional)</h2>
      <p className="muted">
        A libvirt domain (<code>virsh dumpxml NAME</code>) or a QEMU command line each; VMs boot in this
        order, their assigned devices in the order QEMU plugs them.
      </p>
      {form.vms.map((vm, index) => (
        <div key={vm.id} className={styles.vm}>
          <label className={styles.block}>
            VM {index + 1}: domain XML or QEMU command line
            <textarea
              className={styles.area}
              aria-label={`VM ${index + 1} source`}
              rows={5}
              spellCheck={false}
              value={vm.text}
              onChange={(e) => form.editVm({ id: vm.id, text: e.target.value })}
            />
          </label>
          <button type="button" aria-label={`Remove VM ${index + 1}`} onClick={() => form.removeVm(vm.id)}>
            Remove
          </button>
        </div>
      ))}
      <div className={styles.row}>
        <button type="button" onClick={() => form.addVms([''])}>
          Add a VM
        </button>
        <label>
          or add VMs from files{' '}
          <input
            type="file"
            multiple
            aria-label="VM files"
            onChange={async (e) => {
              const files = [...(e.target.files ?? [])];
              const texts = await Promise.all(files.map((file) => file.text()));
              e.target.value = '';
              form.addVms(texts);
            }}
          />
        </label>
      </div>
    </section>
  );
}

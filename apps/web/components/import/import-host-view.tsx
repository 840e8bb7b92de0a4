'use client';
// "Import my host": the snapshot command (with a copy button), the snapshot (uploaded or pasted) and any
// number of libvirt domain XMLs or QEMU command lines; Preview asks the server for the plan (dryRun) and
// shows what will be created and skipped; Create makes the lab and its VMs in one request and opens it.
import { useRouter } from 'next/navigation';
import { useEffect, useId, useState } from 'react';
import { KERNELS, POLICIES } from '../../lib/types';
import { CopyButton } from '../shell/copy-button';
import { ThemeToggle } from '../shell/theme-toggle';
import { type HostPlan, ImportFailure, importHost, vmSource } from './host-api';
import styles from './import.module.css';

const SNAPSHOT_COMMAND = 'npm run snapshot > host.json';

/** On a host without a checkout: fetch the script from this server, run it (Node 20+, any user). */
function downloadCommand(origin: string): string {
  const host = new URL(origin).hostname;
  const loopback = ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host);
  const auth = loopback ? '' : ' -H "authorization: Bearer $LAB_TOKEN"';
  return `curl -sSO${auth} ${origin}/api/v1/host/snapshot.mjs && node snapshot.mjs > host.json`;
}
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function bytes(hex: string): string {
  const value = Number(BigInt(hex));
  if (value >= 2 ** 30) return `${+(value / 2 ** 30).toFixed(2)} GiB`;
  return `${+(value / 2 ** 20).toFixed(2)} MiB`;
}

function pageSizes(sizes: number[]): string {
  return sizes
    .map((s) => (s >= 2 ** 30 ? `${s / 2 ** 30}G` : s >= 2 ** 20 ? `${s / 2 ** 20}M` : `${s / 1024}K`))
    .join(' ');
}

interface VmEntry {
  id: number;
  text: string;
}

export function ImportHostView() {
  const router = useRouter();
  const ids = useId();
  const [snapshotText, setSnapshotText] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [name, setName] = useState('myhost');
  const [policy, setPolicy] = useState<string>('type1');
  const [kernel, setKernel] = useState<string>('');
  const [vms, setVms] = useState<VmEntry[]>([]);
  const [nextId, setNextId] = useState(1);
  const [plan, setPlan] = useState<HostPlan | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [origin, setOrigin] = useState<string | null>(null);
  useEffect(() => setOrigin(window.location.origin), []);

  function request() {
    let snapshot: unknown;
    try {
      snapshot = JSON.parse(snapshotText);
    } catch (failure) {
      throw new ImportFailure('EINVAL', `the snapshot is not JSON: ${(failure as Error).message}`);
    }
    if (!NAME.test(name.trim()))
      throw new ImportFailure('EINVAL', 'lab name must be [A-Za-z0-9][A-Za-z0-9_.-]{0,63}');
    return {
      name: name.trim(),
      policy,
      ...(kernel ? { kernel } : {}),
      snapshot,
      vms: vms.filter((vm) => vm.text.trim()).map((vm) => vmSource(vm.text)),
    };
  }

  async function run(dryRun: boolean) {
    setError(null);
    setBusy(true);
    try {
      const answer = await importHost(request(), dryRun);
      if (dryRun) setPlan(answer);
      else router.push(`/labs/${encodeURIComponent(name.trim())}`);
    } catch (failure) {
      setPlan(null);
      setError(failure instanceof ImportFailure ? `${failure.code}: ${failure.message}` : String(failure));
    } finally {
      setBusy(false);
    }
  }

  const edited = () => setPlan(null);

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

        <section aria-labelledby={`${ids}-step1`} className={styles.step}>
          <h2 id={`${ids}-step1`}>1. Take a snapshot on the host</h2>
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

        <section aria-labelledby={`${ids}-step2`} className={styles.step}>
          <h2 id={`${ids}-step2`}>2. The snapshot</h2>
          <div className={styles.row}>
            <label>
              upload host.json{' '}
              <input
                type="file"
                accept="application/json,.json"
                aria-label="snapshot file"
                onChange={async (e) => {
                  const file = e.target.files?.[0];
                  if (!file) return;
                  setFileName(file.name);
                  setSnapshotText(await file.text());
                  edited();
                }}
              />
            </label>
            {fileName ? <span className="muted">{fileName}</span> : null}
          </div>
          <label className={styles.block}>
            or paste it
            <textarea
              className={styles.area}
              aria-label="snapshot JSON"
              rows={6}
              spellCheck={false}
              value={snapshotText}
              placeholder='{ "format": "ioasid-lab/host-snapshot/v1", ... }'
              onChange={(e) => {
                setSnapshotText(e.target.value);
                setFileName(null);
                edited();
              }}
            />
          </label>
          <div className={styles.row}>
            <label>
              lab name{' '}
              <input
                type="text"
                aria-label="lab name"
                value={name}
                onChange={(e) => {
                  setName(e.target.value);
                  edited();
                }}
              />
            </label>
            <label>
              policy{' '}
              <select
                aria-label="policy"
                value={policy}
                onChange={(e) => {
                  setPolicy(e.target.value);
                  edited();
                }}
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
                value={kernel}
                onChange={(e) => {
                  setKernel(e.target.value);
                  edited();
                }}
              >
                <option value="">from the snapshot</option>
                {KERNELS.map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
            </label>
          </div>
        </section>

        <section aria-labelledby={`${ids}-step3`} className={styles.step}>
          <h2 id={`${ids}-step3`}>3. Its VMs (optional)</h2>
          <p className="muted">
            A libvirt domain (<code>virsh dumpxml NAME</code>) or a QEMU command line each; VMs boot in this
            order, their assigned devices in the order QEMU plugs them.
          </p>
          {vms.map((vm, index) => (
            <div key={vm.id} className={styles.vm}>
              <label className={styles.block}>
                VM {index + 1}: domain XML or QEMU command line
                <textarea
                  className={styles.area}
                  aria-label={`VM ${index + 1} source`}
                  rows={5}
                  spellCheck={false}
                  value={vm.text}
                  onChange={(e) => {
                    const text = e.target.value;
                    setVms((list) => list.map((v) => (v.id === vm.id ? { ...v, text } : v)));
                    edited();
                  }}
                />
              </label>
              <button
                type="button"
                aria-label={`Remove VM ${index + 1}`}
                onClick={() => {
                  setVms((list) => list.filter((v) => v.id !== vm.id));
                  edited();
                }}
              >
                Remove
              </button>
            </div>
          ))}
          <div className={styles.row}>
            <button
              type="button"
              onClick={() => {
                setVms((list) => [...list, { id: nextId, text: '' }]);
                setNextId((n) => n + 1);
                edited();
              }}
            >
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
                  setVms((list) => [...list, ...texts.map((text, i) => ({ id: nextId + i, text }))]);
                  setNextId((n) => n + texts.length);
                  e.target.value = '';
                  edited();
                }}
              />
            </label>
          </div>
        </section>

        <div className={styles.row}>
          <button
            type="button"
            className="primary"
            disabled={busy || !snapshotText.trim()}
            onClick={() => run(true)}
          >
            Preview
          </button>
          <button type="button" disabled={busy || !plan} onClick={() => run(false)}>
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

function Preview({ plan }: { plan: HostPlan }) {
  return (
    <section aria-label="Preview" className={styles.step}>
      <h2>What will be created</h2>
      <p role="status">
        {plan.units.length} IOMMU unit{plan.units.length === 1 ? '' : 's'}, {plan.groups.length} groups,{' '}
        {plan.devices.length} devices, {plan.vms.length} VM{plan.vms.length === 1 ? '' : 's'}: {plan.ops} ops
        under <strong>{plan.policy}</strong>, kernel profile <strong>{plan.kernelProfile.profile}</strong>
        {plan.kernelProfile.from ? ` (uname -r ${plan.kernelProfile.from})` : ''}.
      </p>
      <p className="muted">{plan.kernelProfile.rule}</p>

      <h3>IOMMU units</h3>
      <div className="scroll-x">
        <table aria-label="IOMMU units">
          <thead>
            <tr>
              <th>unit</th>
              <th>vendor</th>
              <th>snoop control</th>
              <th>IOVA bits</th>
              <th>page sizes</th>
              <th>reserved</th>
              <th>decoded from</th>
            </tr>
          </thead>
          <tbody>
            {plan.units.map((unit) => (
              <tr key={unit.name}>
                <td>{unit.name}</td>
                <td>{unit.vendor}</td>
                <td className={unit.enforceCacheCoherency ? 'ok' : 'refused'}>
                  {unit.enforceCacheCoherency ? 'enforces coherency' : 'cannot enforce'}
                </td>
                <td>
                  {unit.iovaBits}
                  {unit.kernelIovaBits !== unit.iovaBits ? ` (kernel: ${unit.kernelIovaBits})` : ''}
                </td>
                <td>{pageSizes(unit.pageSizes)}</td>
                <td>
                  {unit.reserved.map((r) => (
                    <div key={`${r.start}-${r.kind}`}>
                      {r.kind} {r.start}+{r.length}
                    </div>
                  ))}
                </td>
                <td>
                  <ul className={styles.fields}>
                    {unit.decoded.map((f) => (
                      <li key={`${f.register}-${f.field}`}>
                        <code>
                          {f.register}.{f.field}[{f.bits}] = {f.value}
                        </code>{' '}
                        <span className="muted">{f.meaning}</span>
                      </li>
                    ))}
                  </ul>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h3>IOMMU groups and devices</h3>
      <div className="scroll-x">
        <table aria-label="IOMMU groups">
          <thead>
            <tr>
              <th>group</th>
              <th>unit</th>
              <th>type</th>
              <th>devices</th>
              <th>reserved regions</th>
            </tr>
          </thead>
          <tbody>
            {plan.groups.map((group) => (
              <tr key={group.id}>
                <td>{group.id}</td>
                <td>{group.unit ?? '—'}</td>
                <td>{group.type ?? '—'}</td>
                <td>{group.devices.join(', ')}</td>
                <td>
                  {group.reservedRegions.map((r) => (
                    <div key={`${r.start}-${r.type}`} title={r.why}>
                      {r.type} {r.start}–{r.end}
                      {r.applied ? '' : ' (not reserved)'}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {plan.vms.length > 0 ? (
        <>
          <h3>VMs</h3>
          <table aria-label="VMs">
            <thead>
              <tr>
                <th>VM</th>
                <th>from</th>
                <th>memory</th>
                <th>booted with, in order</th>
                <th>backend</th>
              </tr>
            </thead>
            <tbody>
              {plan.vms.map((vm) => (
                <tr key={vm.name}>
                  <td>{vm.name}</td>
                  <td>{vm.source.format}</td>
                  <td>{bytes(vm.memory)}</td>
                  <td>{vm.devices.join(' → ') || '—'}</td>
                  <td>
                    {vm.source.backend}
                    {vm.source.notes.map((n) => (
                      <div key={n} className="muted">
                        {n}
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}

      <h3>Skipped</h3>
      {plan.skipped.length === 0 && plan.ignored.length === 0 ? <p className="muted">Nothing.</p> : null}
      <ul aria-label="Skipped">
        {plan.ignored.map((i) => (
          <li key={i.unit}>
            unit <code>{i.unit}</code>: {i.reason}
          </li>
        ))}
        {plan.skipped.map((s) => (
          <li key={s.bdf}>
            <code>{s.bdf}</code>: {s.reason}
          </li>
        ))}
      </ul>
      {plan.notes.length > 0 || plan.units.some((u) => u.notes.length) ? (
        <>
          <h3>Notes</h3>
          <ul>
            {[...plan.units.flatMap((u) => u.notes), ...plan.notes].map((n) => (
              <li key={n} className="muted">
                {n}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

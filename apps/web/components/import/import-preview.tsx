// What a host import will create, from the server's dry-run plan: the units with the register fields they
// were decoded from, the groups with their reserved regions, the VMs, and everything skipped and why.
import type { HostImportPlan } from '@ioasid-lab/api';
import styles from './import.module.css';

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

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

export function Preview({ plan }: { plan: HostImportPlan }) {
  return (
    <section aria-label="Preview" className={styles.step}>
      <h2>What will be created</h2>
      <p role="status">
        {plural(plan.units.length, 'IOMMU unit')}, {plan.groups.length} groups, {plan.devices.length} devices,{' '}
        {plural(plan.vms.length, 'VM')}: {plan.ops} ops under <strong>{plan.policy}</strong>, kernel profile{' '}
        <strong>{plan.kernelProfile.profile}</strong>
        {plan.kernelProfile.from ? ` (uname -r ${plan.kernelProfile.from})` : ''}.
      </p>
      <p className="muted">{plan.kernelProfile.rule}</p>
      <h3>IOMMU units</h3>
      <UnitsTable units={plan.units} />
      <h3>IOMMU groups and devices</h3>
      <GroupsTable groups={plan.groups} />
      {plan.vms.length > 0 ? (
        <>
          <h3>VMs</h3>
          <VmsTable vms={plan.vms} />
        </>
      ) : null}
      <h3>Skipped</h3>
      <SkippedList plan={plan} />
      <NotesList plan={plan} />
    </section>
  );
}

function UnitsTable({ units }: { units: HostImportPlan['units'] }) {
  return (
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
          {units.map((unit) => (
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
                <DecodedFields fields={unit.decoded} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Each register field a unit's capabilities were decoded from, and what the kernel makes of it. */
function DecodedFields({ fields }: { fields: HostImportPlan['units'][number]['decoded'] }) {
  return (
    <ul className={styles.fields}>
      {fields.map((f) => (
        <li key={`${f.register}-${f.field}`}>
          <code>
            {f.register}.{f.field}[{f.bits}] = {f.value}
          </code>{' '}
          <span className="muted">{f.meaning}</span>
        </li>
      ))}
    </ul>
  );
}

function GroupsTable({ groups }: { groups: HostImportPlan['groups'] }) {
  return (
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
          {groups.map((group) => (
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
  );
}

function VmsTable({ vms }: { vms: HostImportPlan['vms'] }) {
  return (
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
        {vms.map((vm) => (
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
  );
}

/** Units the lab does not model, then functions it cannot assign, each with the reason. */
function SkippedList({ plan }: { plan: HostImportPlan }) {
  return (
    <>
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
    </>
  );
}

/** The units' notes, then the import's. */
function NotesList({ plan }: { plan: HostImportPlan }) {
  const notes = [...plan.units.flatMap((u) => u.notes), ...plan.notes];
  if (notes.length === 0) return null;
  return (
    <>
      <h3>Notes</h3>
      <ul>
        {notes.map((n) => (
          <li key={n} className="muted">
            {n}
          </li>
        ))}
      </ul>
    </>
  );
}

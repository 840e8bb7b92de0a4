'use client';
// Every lab in a table: name, policy, kernel, events, created; fork (opens the new lab) and delete (asks).
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { enc } from '../../lib/api';
import { type ForkRequest, KERNELS, type LabSummary, POLICIES, type Policy } from '../../lib/types';
import { checkName, checkSeq } from '../../lib/validate';
import { ActionForm } from '../actions/action-form';

/** Fork a lab, under another policy or kernel if wanted, then open the fork. */
function ForkForm({ lab: l }: { lab: LabSummary }) {
  const router = useRouter();
  return (
    <ActionForm
      title={`Fork ${l.name}`}
      short="Fork"
      fields={[
        { name: 'name', label: 'fork as', value: `${l.name}-fork`, check: checkName },
        { name: 'policy', label: 'policy', kind: 'select', options: [...POLICIES], value: l.policy },
        { name: 'kernel', label: 'kernel', kind: 'select', options: [...KERNELS], value: l.kernel },
        {
          name: 'at',
          label: 'at',
          value: '',
          placeholder: `seq ≤ ${l.events}`,
          check: (v) => checkSeq(v, l.events),
        },
      ]}
      build={(v) => (c) =>
        c.forkLab(l.name, {
          name: String(v.name).trim(),
          policy: v.policy as Policy,
          kernel: v.kernel as ForkRequest['kernel'],
          ...(String(v.at).trim() ? { at: Number(v.at) } : {}),
        })
      }
      onDone={(_, v) => router.push(`/labs/${enc(String(v.name).trim())}`)}
    />
  );
}

export function LabsTable({ labs, onChange }: { labs: LabSummary[]; onChange: () => void }) {
  return (
    <div className="scroll-x">
      <table aria-label="Labs" className="labs-table">
        <thead>
          <tr>
            <th>lab</th>
            <th>policy</th>
            <th>events</th>
            <th>created</th>
            <th>fork</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {labs.map((l) => (
            <tr key={l.name}>
              <td>
                <Link href={`/labs/${enc(l.name)}`}>{l.name}</Link>
              </td>
              <td>
                {l.policy}
                {l.kernel ? ` · ${l.kernel}` : ''}
              </td>
              <td className="mono">{l.events}</td>
              <td className="mono">{l.createdAt?.replace('T', ' ').slice(0, 19)}</td>
              <td>
                <ForkForm lab={l} />
              </td>
              <td>
                <ActionForm
                  title={`Delete ${l.name}`}
                  short="Delete"
                  danger
                  fields={[]}
                  confirm={`Lab ${l.name} and its whole history (${l.events} events) are deleted. This cannot be undone; fork it first to keep a copy.`}
                  build={() => (c) => c.deleteLab(l.name)}
                  onDone={onChange}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

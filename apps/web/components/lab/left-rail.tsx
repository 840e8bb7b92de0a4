'use client';
// Left rail of a lab: its views and the filters that dim everything outside a VM, a unit, or the hazards.
// Search + Enter and the VM filter also select, which brings the object into view.
import Link from 'next/link';
import type { RefObject } from 'react';
import { enc } from '../../lib/api';
import type { LabState } from '../../lib/types';
import { type Filters, searchFirst } from './focus';
import { Legend } from './legend';

interface Props {
  lab: string;
  state: LabState;
  filters: Filters;
  onFilters: (f: Filters) => void;
  searchRef: RefObject<HTMLInputElement | null>;
  onSelect: (key: string) => void;
}

export function LeftRail({ lab, state, filters, onFilters, searchRef, onSelect }: Props) {
  const base = `/labs/${enc(lab)}`;
  const hazards = state.vms.filter((v) => v.coherencyHazard).length;
  return (
    <aside className="rail" aria-label="Filters and views">
      <h3>views</h3>
      <ul>
        <li>
          <Link href="/">all labs</Link>
        </li>
        <li>
          <Link href={`${base}/explain`}>explain</Link>
        </li>
        <li>
          <Link href={`${base}/compare`}>compare</Link>
        </li>
        <li>
          <Link href={`${base}/events`}>events</Link>
        </li>
      </ul>
      <h3>filters</h3>
      <label>
        Search objects
        <input
          ref={searchRef}
          aria-label="Search objects"
          type="search"
          value={filters.search}
          placeholder="A, VM1, hwpt 3, ioas 1…"
          onChange={(e) => onFilters({ ...filters, search: e.target.value })}
          onKeyDown={(e) => {
            // Enter selects (and brings into view) the best match: any object, tables as "hwpt 3".
            if (e.key !== 'Enter') return;
            const key = searchFirst(state, filters.search);
            if (key) onSelect(key);
          }}
        />
      </label>
      <label>
        VM
        <select
          aria-label="VM"
          value={filters.vm}
          onChange={(e) => {
            onFilters({ ...filters, vm: e.target.value });
            if (e.target.value) onSelect(`vm:${e.target.value}`);
          }}
        >
          <option value="">all</option>
          {state.vms.map((v) => (
            <option key={v.name}>{v.name}</option>
          ))}
        </select>
      </label>
      <label>
        IOMMU
        <select
          aria-label="IOMMU"
          value={filters.iommu}
          onChange={(e) => onFilters({ ...filters, iommu: e.target.value })}
        >
          <option value="">all</option>
          {state.iommus.map((u) => (
            <option key={u.name}>{u.name}</option>
          ))}
        </select>
      </label>
      <label>
        <input
          type="checkbox"
          checked={filters.hazardOnly}
          onChange={(e) => onFilters({ ...filters, hazardOnly: e.target.checked })}
        />{' '}
        hazards only ({hazards})
      </label>
      <Legend />
    </aside>
  );
}

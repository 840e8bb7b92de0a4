// focusSet and search: filters intersect; search finds every kind of object, tables as "hwpt 2".
import { describe, expect, it } from 'vitest';
import { focusSet, searchFirst, searchKeys } from '../components/lab/focus';
import { seedState } from './fixtures';

const none = { vm: '', iommu: '', hazardOnly: false, search: '' };

describe('focus', () => {
  it('is null without filters and follows a VM to its devices, tables and unit', () => {
    expect(focusSet(seedState(), none)).toBeNull();
    const vm1 = focusSet(seedState(), { ...none, vm: 'VM1' });
    expect([...(vm1 ?? [])].sort()).toEqual(['dev:A', 'hwpt:2', 'ioas:1', 'iommu:iommu0', 'vm:VM1']);
  });

  it('intersects filters: a unit and a VM', () => {
    const both = focusSet(seedState(), { ...none, vm: 'VM2', iommu: 'iommu1' });
    expect([...(both ?? [])]).toEqual([]);
  });

  it('search finds names, tables and address spaces', () => {
    const s = seedState();
    expect(searchKeys(s, 'a2')).toEqual(['dev:A2']);
    expect(searchKeys(s, 'hwpt 2')).toEqual(['hwpt:2']);
    expect(searchKeys(s, 'hwpt')).toEqual(['hwpt:2', 'hwpt:4']);
    expect(searchKeys(s, 'ioas3')).toEqual(['ioas:3']);
    expect(searchKeys(s, '#4')).toEqual(['hwpt:4']);
    expect(searchKeys(s, '  ')).toEqual([]);
  });

  it('Enter picks an exact name first, else the first match', () => {
    const s = seedState();
    expect(searchFirst(s, 'a')).toBe('dev:A');
    expect(searchFirst(s, 'vm')).toBe('vm:VM1');
    expect(searchFirst(s, 'HWPT 4')).toBe('hwpt:4');
    expect(searchFirst(s, 'ioas 1')).toBe('ioas:1');
    expect(searchFirst(s, 'nothing')).toBeNull();
  });
});

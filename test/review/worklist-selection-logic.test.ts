/** The worklist's selection as plain data: picks, toggles, ranges, "all but", and ids fetched only where not loaded. */
import { describe, expect, it } from 'vitest';
import type { CaseSummary } from '../../src/shared/contract';
import type { VipApi } from '../../src/shared/protocol';
import {
  emptySelection,
  extendTo,
  idsInRange,
  isSelected,
  rangeFrom,
  resolveSelection,
  selectAll,
  selectOnly,
  selectedCount,
  toggle,
} from '../../src/renderer/src/screens/worklist/selection';

const list = { sort: 'created_desc' } as const;

/** A list of `total` cases, id = 1000 + index, answering cases.list and counting the calls. */
function fakeApi(total: number): { api: VipApi; calls: Array<{ offset: number; limit: number }> } {
  const calls: Array<{ offset: number; limit: number }> = [];
  const api = {
    call: (method: string, params: { offset: number; limit: number }) => {
      if (method !== 'cases.list') throw new Error(method);
      calls.push({ offset: params.offset, limit: params.limit });
      const end = Math.min(total, params.offset + params.limit);
      const cases = [];
      for (let i = params.offset; i < end; i++) cases.push({ id: 1000 + i } as CaseSummary);
      return Promise.resolve({ total, cases });
    },
  } as unknown as VipApi;
  return { api, calls };
}

describe('worklist selection', () => {
  it('picks one, toggles others, and counts', () => {
    let s = selectOnly(1005, 5);
    s = toggle(s, 1007, 7);
    s = toggle(s, 1005, 5);
    expect(isSelected(s, 1007)).toBe(true);
    expect(isSelected(s, 1005)).toBe(false);
    expect(selectedCount(s, 100)).toBe(1);
    expect(s.anchor).toBe(5);
    expect(selectedCount(emptySelection, 100)).toBe(0);
  });

  it('"select all" covers the filtered list minus the cases taken out again', () => {
    let s = selectAll();
    expect(selectedCount(s, 10_000)).toBe(10_000);
    s = toggle(s, 1003, 3);
    expect(isSelected(s, 1003)).toBe(false);
    expect(isSelected(s, 1004)).toBe(true);
    expect(selectedCount(s, 10_000)).toBe(9_999);
    s = extendTo(s, [1003]);
    expect(selectedCount(s, 10_000)).toBe(10_000);
  });

  it('ranges run from the anchor either way', () => {
    expect(rangeFrom(selectOnly(1, 10), 4)).toEqual([4, 10]);
    expect(rangeFrom(selectOnly(1, 10), 12)).toEqual([10, 12]);
    expect(rangeFrom(emptySelection, 7)).toEqual([7, 7]);
  });

  it('fetches only the rows of a range that are not loaded', async () => {
    const { api, calls } = fakeApi(5000);
    const loaded = (i: number): CaseSummary | undefined => (i < 200 ? ({ id: 1000 + i } as CaseSummary) : undefined);
    const ids = await idsInRange(api, list, 150, 2300, loaded);
    expect(ids).toHaveLength(2151);
    expect(ids[0]).toBe(1150);
    expect(ids.at(-1)).toBe(3300);
    expect(calls).toEqual([
      { offset: 200, limit: 1000 },
      { offset: 1200, limit: 1000 },
      { offset: 2200, limit: 101 },
    ]);
  });

  it('resolves "all but" into the ids of every page', async () => {
    const { api } = fakeApi(2500);
    const ids = await resolveSelection(api, list, toggle(selectAll(), 1001, 1));
    expect(ids).toHaveLength(2499);
    expect(ids).not.toContain(1001);
    expect(await resolveSelection(api, list, selectOnly(1042, 42))).toEqual([1042]);
  });
});

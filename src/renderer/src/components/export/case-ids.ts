/** Case numbers as people type them: "12, 15-18 21" → [12, 15, 16, 17, 18, 21]; a problem as one readable line. */
export const MAX_TYPED_CASES = 10_000;

export function parseCaseIds(text: string): { ids: number[]; problem: string | null } {
  const ids: number[] = [];
  const tokens = text.split(/[\s,;]+/).filter(Boolean);
  if (tokens.length === 0) return { ids, problem: 'Type at least one case number.' };
  for (const token of tokens) {
    const m = /^(\d{1,15})(?:-(\d{1,15}))?$/.exec(token);
    const from = Number(m?.[1]);
    const to = m?.[2] === undefined ? from : Number(m[2]);
    if (!m || from < 1 || to < from)
      return { ids: [], problem: `"${token}" is not a case number or a range like 15-18.` };
    if (ids.length + (to - from + 1) > MAX_TYPED_CASES)
      return {
        ids: [],
        problem: `At most ${MAX_TYPED_CASES.toLocaleString()} cases at once; use the worklist filters.`,
      };
    for (let id = from; id <= to; id++) ids.push(id);
  }
  return { ids: [...new Set(ids)], problem: null };
}

/** Small text helpers shared by the PNG panel and the PDF: number formats and greedy word wrapping. */

export const percent = (p: number): string => `${(100 * p).toFixed(1)}%`;

export const signed = (v: number, digits = 3): string => `${v >= 0 ? '+' : '\u2212'}${Math.abs(v).toFixed(digits)}`;

/**
 * Greedy wrapping by a width function (PDF font metrics, or an estimate for SVG). A word longer than a line is cut.
 * At most maxLines lines; the last is ended with an ellipsis when text remains.
 */
export function wrapText(
  text: string,
  maxWidth: number,
  widthOf: (s: string) => number,
  maxLines = Infinity,
): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split(/\r?\n/)) {
    let line = '';
    for (const rawWord of paragraph.split(/\s+/).filter(Boolean)) {
      let word = rawWord;
      while (widthOf(word) > maxWidth && word.length > 1) {
        // Cut an overlong word (a URL, a UID) to what fits.
        let n = word.length - 1;
        while (n > 1 && widthOf(word.slice(0, n)) > maxWidth) n--;
        if (line) lines.push(line);
        lines.push(word.slice(0, n));
        line = '';
        word = word.slice(n);
      }
      const candidate = line ? `${line} ${word}` : word;
      if (widthOf(candidate) <= maxWidth) line = candidate;
      else {
        if (line) lines.push(line);
        line = word;
      }
    }
    lines.push(line);
  }
  while (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  let last = kept[maxLines - 1] ?? '';
  while (last.length > 0 && widthOf(`${last}\u2026`) > maxWidth) last = last.slice(0, -1);
  kept[maxLines - 1] = `${last.trimEnd()}\u2026`;
  return kept;
}

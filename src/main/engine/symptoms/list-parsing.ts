/**
 * An LLM's answer as a list of short features. Models answer however they like, so this reads JSON (a list, an object
 * of lists, a list of objects), numbered and bulleted lists (with markdown, "Label: text" lines and headings), prose
 * with one feature per line, and as a last resort one paragraph split into sentences. Introductions ("Here are ...:")
 * and closing remarks are left out.
 */

export type ListFormat = 'json' | 'numbered' | 'bulleted' | 'lines' | 'sentences' | 'none';

export interface ParsedList {
  items: string[];
  format: ListFormat;
}

const NUMBERED = /^\s*(?:\(?\d{1,3}[.)\]:]|\d{1,3}\s*[-–]\s|[a-z][.)]\s)\s*/i;
const BULLETED = /^\s*(?:[-*•·‣▪●◦–—+]|\u2022)\s+/;
/** Keys a list of objects may keep its feature text under. */
const TEXT_KEYS = ['symptom', 'feature', 'description', 'text', 'name', 'value', 'visual_feature'];

export function parseFeatureList(answer: string): ParsedList {
  const text = stripFences(answer).trim();
  if (text === '') return { items: [], format: 'none' };
  const fromJson = jsonItems(text);
  if (fromJson !== null && fromJson.length > 0) return finish(fromJson, 'json');

  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const numbered = lines.filter((l) => NUMBERED.test(l));
  const bulleted = lines.filter((l) => BULLETED.test(l));
  if (numbered.length >= 2 || bulleted.length >= 2) {
    const format: ListFormat = numbered.length >= bulleted.length ? 'numbered' : 'bulleted';
    const marker = format === 'numbered' ? NUMBERED : BULLETED;
    // Markers of the other kind inside a list are sub-points of an item; keep them too, they are features as well.
    const items = lines
      .filter((l) => marker.test(l) || (format === 'numbered' ? BULLETED : NUMBERED).test(l))
      .map((l) => l.replace(marker, '').replace(NUMBERED, '').replace(BULLETED, ''));
    return finish(items, format);
  }

  const content = lines.filter((l) => l !== '' && !isIntroOrOutro(l) && !isHeading(l));
  if (content.length >= 2) return finish(content, 'lines');
  const single = content[0] ?? '';
  const sentences = single
    .split(/(?<=[.;!?])\s+(?=[A-Za-z])|;\s*/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (sentences.length >= 2) return finish(sentences, 'sentences');
  // One short line may be a one-item list; a long sentence with no list in it is not an answer to use.
  if (single !== '' && wordCount(single) <= 15 && !isIntroOrOutro(single)) return finish([single], 'lines');
  return { items: [], format: 'none' };
}

function finish(raw: string[], format: ListFormat): ParsedList {
  const items = raw
    .map(cleanItem)
    .filter((s): s is string => s !== null)
    .filter((s, i, all) => all.indexOf(s) === i);
  return { items, format: items.length > 0 ? format : 'none' };
}

/** Markdown, quotes, trailing periods and "Label: text" prefixes removed; null for headings and empty lines. */
export function cleanItem(raw: string): string | null {
  let s = raw.trim();
  if (isHeading(s)) return null;
  // "**Consolidation** - a white area" or "**Colour:** dark brown": the plain description follows the bold label.
  const bold = /^\*\*([^*]{1,60})\*\*\s*(?:[:\-–—]\s*)?(.*)$/.exec(s);
  if (bold?.[1] !== undefined && bold[2] !== undefined && bold[2].trim() !== '') s = bold[2];
  s = s
    .replace(/\*\*|__|`/g, '')
    .replace(/^#+\s*/, '')
    .replace(/^\s*[*_]+|[*_]+\s*$/g, '')
    .trim();
  if (s === '' || isHeading(s) || isIntroOrOutro(s)) return null;
  // "Colour: dark brown and black": the same with a plain label.
  const labelled = /^([^:]{1,40}?)\s*:\s*(.+)$/.exec(s);
  if (labelled?.[1] && labelled[2] && wordCount(labelled[1]) <= 4) s = labelled[2];
  s = s
    .replace(/^["'“”‘’]+|["'“”‘’]+$/g, '')
    .replace(/[.;,:!]+$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  return s === '' ? null : s;
}

function stripFences(text: string): string {
  const fenced = /```[a-zA-Z]*\s*\n?([\s\S]*?)```/.exec(text);
  return fenced?.[1] !== undefined ? fenced[1] : text;
}

/** Items from JSON somewhere in the answer, or null when it holds no usable JSON. */
function jsonItems(text: string): string[] | null {
  for (const candidate of jsonCandidates(text)) {
    let value: unknown;
    try {
      value = JSON.parse(candidate) as unknown;
    } catch {
      continue;
    }
    const items = itemsOf(value, 0);
    if (items.length > 0) return items;
  }
  return null;
}

/** The whole text, then the outermost [...] and {...} spans in it. */
function jsonCandidates(text: string): string[] {
  const out = [text];
  for (const [open, close] of [
    ['[', ']'],
    ['{', '}'],
  ] as const) {
    const start = text.indexOf(open);
    const end = text.lastIndexOf(close);
    if (start >= 0 && end > start) out.push(text.slice(start, end + 1));
  }
  return out;
}

function itemsOf(value: unknown, depth: number): string[] {
  if (depth > 3) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap((v) => itemsOf(v, depth + 1));
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const key = TEXT_KEYS.find((k) => typeof record[k] === 'string');
    if (key !== undefined) return [record[key] as string];
    return Object.values(record).flatMap((v) => (typeof v === 'string' ? [] : itemsOf(v, depth + 1)));
  }
  return [];
}

function wordCount(s: string): number {
  return s.split(/\s+/).filter((w) => w !== '').length;
}

/** "Shape:" or "## Texture" on its own: a heading, not a feature. */
function isHeading(line: string): boolean {
  return /:\s*$/.test(line) || /^#{1,6}\s/.test(line);
}

const INTRO =
  /^(?:sure|certainly|of course|okay|ok|here (?:are|is)|below (?:are|is)|the following|these (?:are|features)|i hope|note:|note that|please note|in summary|overall|let me know|these features)\b/i;

/** Refusals and apologies are never features. */
const REFUSAL = /^(?:i'?m sorry|i am sorry|sorry|unfortunately|i can(?:no|')t|i am (?:not able|unable)|as an ai)\b/i;

function isIntroOrOutro(line: string): boolean {
  const stripped = line.replace(/^[\s*_#>]+/, '');
  if (REFUSAL.test(stripped)) return true;
  return (
    INTRO.test(stripped) &&
    (/:\s*$/.test(stripped) || wordCount(stripped) > 3 || /^(sure|certainly|okay|ok)\b/i.test(stripped))
  );
}

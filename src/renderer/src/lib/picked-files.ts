/**
 * Files chosen by the user, from a drop, a file picker or a folder picker, each with the name the import report
 * will show: the path inside a dropped or picked folder, else the file name.
 */
export interface PickedFile {
  name: string;
  file: File;
}

/** Dot-files inside a folder (.DS_Store and the like) are system clutter, not images; a file picked by name is kept. */
function isHiddenInFolder(relativePath: string): boolean {
  const parts = relativePath.split('/');
  return parts.length > 1 && parts.some((part) => part.startsWith('.'));
}

export function fromFileList(list: FileList | null): PickedFile[] {
  if (!list) return [];
  return Array.from(list, (file) => ({ name: file.webkitRelativePath || file.name, file })).filter(
    (f) => !isHiddenInFolder(f.name),
  );
}

function readAllEntries(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  // readEntries hands out entries in batches (about 100 in Chromium) until it returns an empty batch.
  return new Promise((resolve, reject) => {
    const step = (): void =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all);
        else {
          all.push(...batch);
          step();
        }
      }, reject);
    step();
  });
}

function entryFile(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function walk(entry: FileSystemEntry, out: PickedFile[]): Promise<void> {
  if (entry.name.startsWith('.') && entry.fullPath.split('/').filter(Boolean).length > 1) return;
  if (entry.isFile) {
    const file = await entryFile(entry as FileSystemFileEntry);
    out.push({ name: entry.fullPath.replace(/^\//, '') || file.name, file });
  } else if (entry.isDirectory) {
    for (const child of await readAllEntries(entry as FileSystemDirectoryEntry)) await walk(child, out);
  }
}

/** Everything dropped, folders walked recursively. Entries must be taken synchronously, before the first await. */
export async function fromDataTransfer(dt: DataTransfer): Promise<PickedFile[]> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(dt.items)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry();
    if (entry) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file) loose.push(file);
    }
  }
  if (entries.length === 0 && loose.length === 0) return fromFileList(dt.files);
  const out: PickedFile[] = loose.map((file) => ({ name: file.name, file }));
  for (const entry of entries) await walk(entry, out);
  return out;
}

/** Splits files into upload chunks of at most `maxFiles` files and about `maxBytes` (a large file goes alone). */
export function chunkFiles<T extends { file: { size: number } }>(
  files: T[],
  maxFiles: number,
  maxBytes: number,
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const f of files) {
    if (current.length > 0 && (current.length >= maxFiles || bytes + f.file.size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(f);
    bytes += f.file.size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Display windows offered in the viewer. The CT presets are in Hounsfield units, so they are offered only for CT,
 * where stored values are rescaled to HU; other modalities (CR, DX, MR) have no fixed unit, and their own
 * windows (from the file) or the default full-range window are what makes sense there.
 */
import type { DisplayWindow, ImageInfo } from '@shared/contract';

export interface NamedWindow extends DisplayWindow {
  name: string;
}

/** Common CT windows (width/level in HU). */
export const CT_PRESETS: readonly NamedWindow[] = [
  { name: 'Lung', center: -600, width: 1500 },
  { name: 'Mediastinum', center: 50, width: 350 },
  { name: 'Bone', center: 400, width: 1800 },
  { name: 'Brain', center: 40, width: 80 },
];

export function imageModality(image: ImageInfo, caseModality: string | null): string | null {
  const m = image.dicom?.['modality'];
  return typeof m === 'string' && m ? m : caseModality;
}

/** The windows worth a button for this image: its file's own windows, then the HU presets for CT. */
export function presetsFor(image: ImageInfo, caseModality: string | null): NamedWindow[] {
  const own = (image.windows ?? []).map((w, i) => ({
    name: w.explanation ?? `File window ${i + 1}`,
    center: w.center,
    width: w.width,
  }));
  return imageModality(image, caseModality) === 'CT' ? [...own, ...CT_PRESETS] : own;
}

/**
 * A window dragged from `start` by (dx, dy) screen pixels: right widens, left narrows; down raises the level (darker
 * image), up lowers it. Sensitivity follows the starting width, so the feel is the same for 8-bit and 16-bit data.
 */
export function draggedWindow(start: DisplayWindow, dx: number, dy: number): DisplayWindow {
  const perPixel = Math.max(start.width, 1) / 300;
  const width = Math.max(1, start.width + dx * perPixel);
  const center = start.center + dy * perPixel;
  return { center: roundTo(center), width: roundTo(width) };
}

function roundTo(v: number): number {
  return Math.abs(v) >= 10 ? Math.round(v) : Math.round(v * 100) / 100;
}

export function formatWindow(w: DisplayWindow): string {
  return `W ${formatNumber(w.width)} · L ${formatNumber(w.center)}`;
}

function formatNumber(v: number): string {
  return Math.abs(v) >= 10 ? String(Math.round(v)) : String(Math.round(v * 100) / 100);
}

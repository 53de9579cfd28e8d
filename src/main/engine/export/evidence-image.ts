/**
 * The exported PNG of one image: the display rendering (the viewer's default window, scaled to fit DISPLAY_SIZE) on
 * black at the left, the evidence panel at the right. An image that cannot be rendered (its file missing or damaged)
 * still gets the panel, which says why.
 */
import sharp, { type OverlayOptions } from 'sharp';
import { VipError } from '@shared/errors';
import { renderImage } from '../imaging/render';
import type { StoredImage } from '../store/image-repo';
import type { CaseExportDocument, ImageDoc } from './case-document';
import { evidencePanelSvg, PANEL_WIDTH } from './evidence-panel';

export const DISPLAY_SIZE = 1024;
const EMPTY_IMAGE_WIDTH = 320;

export interface DisplayRendering {
  png: Uint8Array;
  width: number;
  height: number;
}

export type RenderOutcome = { ok: true; display: DisplayRendering } | { ok: false; problem: string };

/** The stored image as the viewer shows it by default (first frame), from its original bytes. */
export async function renderForExport(image: StoredImage, bytes: Uint8Array): Promise<RenderOutcome> {
  try {
    const r = await renderImage(bytes, image.mediaType, { maxSize: DISPLAY_SIZE, frame: 0 });
    return { ok: true, display: { png: r.data, width: r.width, height: r.height } };
  } catch (err) {
    if (err instanceof VipError) return { ok: false, problem: err.message };
    return { ok: false, problem: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Small images are enlarged (nearest neighbour from 2x, so pixels stay honest squares) to at least the panel's height,
 * never wider than DISPLAY_SIZE; larger ones keep their display size and the panel grows to match.
 */
export async function evidencePng(doc: CaseExportDocument, image: ImageDoc, render: RenderOutcome): Promise<Buffer> {
  const problem = render.ok ? null : render.problem;
  const natural = evidencePanelSvg({ doc, image, renderProblem: problem, minHeight: 0 }).height;
  let imageW = EMPTY_IMAGE_WIDTH;
  let imageH = 0;
  let picture: Buffer | null = null;
  if (render.ok) {
    const { width, height } = render.display;
    const scale = Math.min(Math.max(1, natural / height), DISPLAY_SIZE / width);
    imageW = Math.max(1, Math.round(width * scale));
    imageH = Math.max(1, Math.round(height * scale));
    picture =
      scale > 1
        ? await sharp(render.display.png)
            .resize(imageW, imageH, { kernel: scale >= 2 ? 'nearest' : 'lanczos3' })
            .png()
            .toBuffer()
        : Buffer.from(render.display.png);
  }
  const height = Math.max(imageH, natural);
  const panel = evidencePanelSvg({ doc, image, renderProblem: problem, minHeight: height });
  const layers: OverlayOptions[] = [{ input: Buffer.from(panel.svg), left: imageW, top: 0 }];
  if (picture) layers.unshift({ input: picture, left: 0, top: Math.floor((height - imageH) / 2) });
  return sharp({
    create: { width: imageW + PANEL_WIDTH, height, channels: 3, background: { r: 0, g: 0, b: 0 } },
  })
    .composite(layers)
    .png()
    .toBuffer();
}

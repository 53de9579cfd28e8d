/** `vip inspect`: what a file is, in the shape the issue fixes (snake_case keys), after the same checks as import. */
import type { WindowPreset } from '@shared/contract';
import { windowPresets } from './window-presets';
import { detectFormat } from './formats';
import { probeImage } from './probe';
import { rasterMetadata } from './raster-image';
import { transferSyntaxLabel } from './transfer-syntax';

export interface ImageInspection {
  kind: 'dicom' | 'image';
  width: number;
  height: number;
  frames: number;
  photometric: string | null;
  bits_stored: number;
  transfer_syntax: string | null;
  transfer_syntax_name: string | null;
  modality: string | null;
  windows: WindowPreset[];
  attributes: Record<string, unknown>;
}

export async function inspectImage(bytes: Uint8Array): Promise<ImageInspection> {
  const probe = await probeImage(bytes);
  const d = probe.dicom;
  if (d) {
    return {
      kind: 'dicom',
      width: probe.width,
      height: probe.height,
      frames: probe.frameCount,
      photometric: d.photometricInterpretation ?? (d.samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2'),
      bits_stored: d.bitsStored,
      transfer_syntax: d.transferSyntaxUid,
      transfer_syntax_name: transferSyntaxLabel(d.transferSyntaxUid),
      modality: d.modality,
      windows: windowPresets(d),
      attributes: { ...d },
    };
  }
  const format = detectFormat(bytes);
  const meta = format.kind === 'raster' ? await rasterMetadata(bytes, format.format) : null;
  const gray = (meta?.channels ?? 3) <= 2 || meta?.space === 'b-w' || meta?.space === 'grey16';
  return {
    kind: 'image',
    width: probe.width,
    height: probe.height,
    frames: probe.frameCount,
    photometric: gray ? 'MONOCHROME2' : 'RGB',
    bits_stored: meta?.depth === 'ushort' ? 16 : 8,
    transfer_syntax: null,
    transfer_syntax_name: null,
    modality: null,
    windows: [],
    attributes: {
      format: meta?.format ?? null,
      mediaType: probe.mediaType,
      channels: meta?.channels ?? null,
      colourSpace: meta?.space ?? null,
      depth: meta?.depth ?? null,
      hasAlpha: meta?.hasAlpha ?? false,
      orientation: probe.orientation,
    },
  };
}

/**
 * A synthetic PA chest radiograph as a DICOM DX file for the imaging tests; the picture itself is the benchmark's
 * generator (src/main/engine/bench/synthetic-cxr.ts), written here with the tests' own DICOM writer in any transfer
 * syntax, 12 bits stored, MONOCHROME2 or MONOCHROME1.
 */
import {
  CXR_BITS as BITS,
  syntheticChestRadiograph,
  type SyntheticCxr,
  type SyntheticCxrOptions,
} from '../../../src/main/engine/bench/synthetic-cxr';
import { TS, writeDicom, type DicomElement } from './dicom-file';
import { imageElements, nativePixelData } from './image-spec';

export { syntheticChestRadiograph, type SyntheticCxr, type SyntheticCxrOptions };

/** The radiograph as a DICOM DX file (Explicit VR Little Endian unless another syntax is asked for). */
export function syntheticCxrDicom(opts: SyntheticCxrOptions & { syntax?: string } = {}): Buffer {
  const cxr = syntheticChestRadiograph(opts);
  const pixelSpacing = (430 / cxr.size).toFixed(4);
  const extra: DicomElement[] = [
    { tag: 0x00180015, vr: 'CS', value: 'CHEST' },
    { tag: 0x00185101, vr: 'CS', value: 'PA' },
    { tag: 0x00280030, vr: 'DS', value: `${pixelSpacing}\\${pixelSpacing}` },
    { tag: 0x00081030, vr: 'LO', value: 'CHEST PA (SYNTHETIC)' },
  ];
  const elements = imageElements({
    rows: cxr.size,
    columns: cxr.size,
    bitsAllocated: 16,
    bitsStored: BITS,
    photometric: opts.monochrome1 ? 'MONOCHROME1' : 'MONOCHROME2',
    modality: 'DX',
    sopClassUid: '1.2.840.10008.5.1.4.1.1.1.1',
    windowCenter: String(cxr.window.center),
    windowWidth: String(cxr.window.width),
    pixelData: nativePixelData(cxr.values),
    extra,
  });
  return writeDicom(elements, { syntax: opts.syntax ?? TS.explicitLE });
}

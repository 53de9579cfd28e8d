/** Small generated DICOM studies for the PACS tests (the imaging tests' writer), with the attributes QIDO matches on. */
import { TS, writeDicom, type DicomElement } from '../../imaging/helpers/dicom-file';
import { imageElements, nativePixelData, pattern } from '../../imaging/helpers/image-spec';

export interface InstanceSpec {
  studyUid: string;
  seriesUid: string;
  sopUid: string;
  patientId: string;
  patientName: string;
  studyDate: string; // YYYYMMDD
  modality: string;
  accession: string;
  studyDescription?: string;
  seriesNumber: number;
  instanceNumber: number;
  size?: number;
  seed?: number;
}

export function instanceFile(s: InstanceSpec): Uint8Array {
  const size = s.size ?? 64;
  const base = imageElements({
    rows: size,
    columns: size,
    bitsAllocated: 16,
    bitsStored: 12,
    modality: s.modality,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.7',
    windowCenter: '2048',
    windowWidth: '4096',
    pixelData: nativePixelData(pattern(size, size, 0, 4095, s.seed ?? s.instanceNumber)),
  });
  const overrides: DicomElement[] = [
    { tag: 0x00080018, vr: 'UI', value: s.sopUid },
    { tag: 0x00080020, vr: 'DA', value: s.studyDate },
    { tag: 0x00080030, vr: 'TM', value: '101500' },
    { tag: 0x00080050, vr: 'SH', value: s.accession },
    { tag: 0x00081030, vr: 'LO', value: s.studyDescription ?? 'TEST STUDY' },
    { tag: 0x0008103e, vr: 'LO', value: `SERIES ${s.seriesNumber}` },
    { tag: 0x00100010, vr: 'PN', value: s.patientName },
    { tag: 0x00100020, vr: 'LO', value: s.patientId },
    { tag: 0x00100030, vr: 'DA', value: '19700101' },
    { tag: 0x0020000d, vr: 'UI', value: s.studyUid },
    { tag: 0x0020000e, vr: 'UI', value: s.seriesUid },
    { tag: 0x00200010, vr: 'SH', value: 'S1' },
    { tag: 0x00200011, vr: 'IS', value: String(s.seriesNumber) },
    { tag: 0x00200013, vr: 'IS', value: String(s.instanceNumber) },
  ];
  const replaced = new Set(overrides.map((e) => e.tag));
  return writeDicom([...base.filter((e) => !replaced.has(e.tag)), ...overrides], { syntax: TS.explicitLE });
}

export interface StudySpec {
  key: number;
  patientId: string;
  patientName: string;
  studyDate: string;
  modality: string;
  accession: string;
  series: number;
  instancesPerSeries: number;
  size?: number;
}

export interface GeneratedStudy {
  studyUid: string;
  seriesUids: string[];
  sopUids: string[];
  files: Uint8Array[];
}

const ROOT = '1.2.826.0.1.3680043.9.7777';

export function makeStudy(s: StudySpec): GeneratedStudy {
  const studyUid = `${ROOT}.${s.key}`;
  const seriesUids: string[] = [];
  const sopUids: string[] = [];
  const files: Uint8Array[] = [];
  for (let se = 1; se <= s.series; se++) {
    const seriesUid = `${studyUid}.${se}`;
    seriesUids.push(seriesUid);
    for (let i = 1; i <= s.instancesPerSeries; i++) {
      const sopUid = `${seriesUid}.${i}`;
      sopUids.push(sopUid);
      files.push(
        instanceFile({
          studyUid,
          seriesUid,
          sopUid,
          patientId: s.patientId,
          patientName: s.patientName,
          studyDate: s.studyDate,
          modality: s.modality,
          accession: s.accession,
          seriesNumber: se,
          instanceNumber: i,
          seed: s.key * 1000 + se * 100 + i,
          ...(s.size !== undefined ? { size: s.size } : {}),
        }),
      );
    }
  }
  return { studyUid, seriesUids, sopUids, files };
}

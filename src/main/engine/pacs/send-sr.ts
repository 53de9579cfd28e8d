/**
 * STOW-RS of a case's DICOM SRs: one Comprehensive SR per predicted DICOM image, built by the export's SR writer
 * (export/structured-report.ts) from the case document. It goes back to a PACS of the same hospital, so the document
 * is the identified one: the SR carries the source study's Study Instance UID and patient module, and the PACS files
 * it in that study, next to the image it references.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { PacsSendResult } from '@shared/contract';
import { badInput } from '@shared/errors';
import { buildCaseDocument, latestOf, newExportInfo } from '../export/case-document';
import { caseReader } from '../export/case-record';
import { deidentifier, newUid } from '../export/deidentify';
import { emptyIdentity, mergeIdentities, readPatientIdentity, type PatientIdentity } from '../export/patient-identity';
import { buildStructuredReport, srReference } from '../export/structured-report';
import { DICOM_MEDIA_TYPE } from '../imaging/formats';
import { nowIso } from '../store/clock';
import type { Store } from '../store/store';
import type { PacsClient } from './pacs-client';

export interface BuiltReports {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  files: { sopInstanceUID: string; referencedSopInstanceUID: string; bytes: Uint8Array }[];
}

/** The case's SRs, all in one new series of the source study. */
export async function buildCaseReports(store: Store, caseId: number, deviceUid: string): Promise<BuiltReports> {
  const record = caseReader(store).read(caseId);
  const identities: PatientIdentity[] = [];
  for (const image of record.images) {
    if (image.mediaType !== DICOM_MEDIA_TYPE) continue;
    try {
      identities.push(readPatientIdentity(await readFile(store.imageFiles.absPath(image.relPath))));
    } catch {
      // A missing file leaves its identity out; the SR is built from the stored attributes.
    }
  }
  const identity = identities.length > 0 ? mergeIdentities(identities) : emptyIdentity;
  const deid = deidentifier(true);
  const doc = buildCaseDocument({
    record,
    exportInfo: newExportInfo(randomUUID(), nowIso(), deid),
    deid,
    identity,
    folder: `pacs/case-${caseId}`,
  });
  const candidates = doc.images.filter((i) => i.mediaType === DICOM_MEDIA_TYPE && latestOf(i) && srReference(i));
  if (candidates.length === 0) {
    const predicted = doc.images.some((i) => latestOf(i));
    throw badInput(
      predicted
        ? `case ${caseId} has no predicted DICOM image with study, series and instance UIDs: nothing to send`
        : `case ${caseId} has no prediction yet: predict it first (vip predict --case ${caseId})`,
    );
  }
  const studies = new Set(candidates.map((i) => srReference(i)?.studyInstanceUid));
  if (studies.size > 1) throw badInput(`case ${caseId} holds images of ${studies.size} studies: send needs one study`);
  const seriesInstanceUID = newUid();
  const files = candidates.map((image, i) => {
    const sopInstanceUID = newUid();
    const bytes = buildStructuredReport({
      doc,
      image,
      identity,
      srSeriesUid: seriesInstanceUID,
      srInstanceUid: sopInstanceUID,
      instanceNumber: i + 1,
      deviceUid,
    });
    return { sopInstanceUID, referencedSopInstanceUID: srReference(image)?.sopInstanceUid ?? '', bytes };
  });
  const studyInstanceUID = [...studies][0] ?? '';
  return { studyInstanceUID, seriesInstanceUID, files };
}

export async function sendCaseReports(
  store: Store,
  client: PacsClient,
  caseId: number,
  actor: string,
): Promise<PacsSendResult> {
  const deviceUid = store.meta.getOrCreate('pacs.deviceObserverUid', newUid);
  const built = await buildCaseReports(store, caseId, deviceUid);
  await client.storeInstances(
    built.studyInstanceUID,
    built.files.map((f) => f.bytes),
  );
  const sopInstanceUIDs = built.files.map((f) => f.sopInstanceUID);
  store.audit.record({
    actor,
    action: 'pacs.send',
    entity: 'case',
    entityId: caseId,
    detail: {
      pacs: client.node.name,
      url: client.node.url,
      studyInstanceUID: built.studyInstanceUID,
      seriesInstanceUID: built.seriesInstanceUID,
      sopInstanceUIDs,
      referencedSopInstanceUIDs: built.files.map((f) => f.referencedSopInstanceUID),
    },
  });
  return {
    name: client.node.name,
    caseId,
    studyInstanceUID: built.studyInstanceUID,
    seriesInstanceUID: built.seriesInstanceUID,
    sopInstanceUID: sopInstanceUIDs[0] ?? '',
    sopInstanceUIDs,
  };
}

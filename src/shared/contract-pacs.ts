/**
 * The PACS part of the contract (DICOMweb: QIDO-RS query, WADO-RS retrieve, STOW-RS store). Spread into `methods` and
 * `events` in contract.ts. Secrets (a password or bearer token) only ever travel towards the engine: `pacs.add` and
 * `pacs.update` accept one, no result carries it back; a node's info says only whether one is available and where
 * it is kept.
 */
import { z } from 'zod';

const Id = z.number().int().positive();

/** A node's name: also part of the CLI's environment variable for its secret (VIP_PACS_<NAME>_PASSWORD). */
export const PacsNodeName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    'a PACS name is 1-64 letters, digits, "-" or "_", starting with a letter or digit',
  );

export const PacsAuth = z.enum(['none', 'basic', 'bearer']);
export type PacsAuth = z.infer<typeof PacsAuth>;

/** The DICOMweb service root, e.g. http://pacs.local:8042/dicom-web (no credentials inside the URL). */
export const PacsUrl = z
  .string()
  .max(2048)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'the PACS URL must start with http:// or https://')
  .refine((u) => !/^https?:\/\/[^/]*@/i.test(u), 'put no user or password in the URL; use --auth and the secret');

export const PacsNodeInfo = z.object({
  name: PacsNodeName,
  url: z.string(),
  auth: PacsAuth,
  /** The user for basic auth (null otherwise). */
  username: z.string().nullable(),
  /** Seconds one HTTP request may take before it counts as timed out. */
  timeoutSeconds: z.number().positive(),
  /** Whether a password/token is available now (always true for auth 'none'). */
  hasSecret: z.boolean(),
  /** Where the secret comes from: the environment variable, the app's secret store, or none yet. */
  secretSource: z.enum(['environment', 'store', 'none']),
  /** The environment variable that supplies this node's secret (null for auth 'none'). */
  secretEnvVar: z.string().nullable(),
  /** Where a secret set through the app is kept, in words (and whether it survives a restart). */
  secretStorage: z.string(),
  secretPersistent: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type PacsNodeInfo = z.infer<typeof PacsNodeInfo>;

const Secret = z.string().max(8192);
const TimeoutSeconds = z.number().positive().max(3600);

export const PacsAddParams = z
  .object({
    name: PacsNodeName,
    url: PacsUrl,
    auth: PacsAuth.default('none'),
    username: z.string().min(1).max(256).optional(),
    /** The password (basic) or token (bearer); write-only. */
    secret: Secret.optional(),
    timeoutSeconds: TimeoutSeconds.default(30),
  })
  .strict();

export const PacsUpdateParams = z
  .object({
    name: PacsNodeName,
    url: PacsUrl.optional(),
    auth: PacsAuth.optional(),
    username: z.string().min(1).max(256).nullable().optional(),
    /** A new password/token; an empty string removes the stored one. Omitted: unchanged. */
    secret: Secret.optional(),
    timeoutSeconds: TimeoutSeconds.optional(),
  })
  .strict();

export const PacsTestResult = z.object({
  name: PacsNodeName,
  ok: z.boolean(),
  /** One line: what answered, or why it failed. */
  message: z.string(),
  elapsedMs: z.number().nonnegative(),
});
export type PacsTestResult = z.infer<typeof PacsTestResult>;

export const PacsQueryLevel = z.enum(['study', 'series', 'instance']);
export type PacsQueryLevel = z.infer<typeof PacsQueryLevel>;

const DicomDate = z.string().regex(/^\d{4}-?\d{2}-?\d{2}$/, 'a date is YYYY-MM-DD or YYYYMMDD');
const Uid = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)*$/, 'a DICOM UID is digits and dots')
  .max(64);
export const DicomUid = Uid;

export const PacsQueryParams = z
  .object({
    name: PacsNodeName,
    level: PacsQueryLevel.default('study'),
    /** Required for level series and instance. */
    studyInstanceUID: Uid.optional(),
    /** Required for level instance. */
    seriesInstanceUID: Uid.optional(),
    patientId: z.string().min(1).max(64).optional(),
    /** DICOM wildcard matching: `*` and `?` (e.g. "DOE^*"). */
    patientName: z.string().min(1).max(320).optional(),
    /** Study date range, inclusive; either end may be left open. */
    dateFrom: DicomDate.optional(),
    dateTo: DicomDate.optional(),
    modality: z.string().min(1).max(16).optional(),
    accessionNumber: z.string().min(1).max(64).optional(),
    limit: z.number().int().positive().max(1000).default(50),
    offset: z.number().int().nonnegative().default(0),
  })
  .strict();
export type PacsQueryParams = z.output<typeof PacsQueryParams>;

/** One QIDO-RS match; attributes the server did not return are null. Keys are the DICOM keywords. */
export const PacsRow = z.object({
  StudyInstanceUID: z.string().nullable(),
  PatientID: z.string().nullable(),
  PatientName: z.string().nullable(),
  PatientBirthDate: z.string().nullable(),
  StudyDate: z.string().nullable(),
  StudyTime: z.string().nullable(),
  AccessionNumber: z.string().nullable(),
  StudyDescription: z.string().nullable(),
  ModalitiesInStudy: z.array(z.string()),
  NumberOfStudyRelatedSeries: z.number().nullable(),
  NumberOfStudyRelatedInstances: z.number().nullable(),
  SeriesInstanceUID: z.string().nullable(),
  SeriesNumber: z.number().nullable(),
  Modality: z.string().nullable(),
  SeriesDescription: z.string().nullable(),
  NumberOfSeriesRelatedInstances: z.number().nullable(),
  SOPInstanceUID: z.string().nullable(),
  SOPClassUID: z.string().nullable(),
  InstanceNumber: z.number().nullable(),
});
export type PacsRow = z.infer<typeof PacsRow>;

export const PacsQueryResult = z.object({
  level: PacsQueryLevel,
  rows: z.array(PacsRow),
  limit: z.number().int().positive(),
  offset: z.number().int().nonnegative(),
  /** True when the server has at least one match after this page. */
  more: z.boolean(),
});
export type PacsQueryResult = z.infer<typeof PacsQueryResult>;

export const PacsRetrieveParams = z
  .object({
    name: PacsNodeName,
    studyInstanceUID: Uid,
    /** Only this series of the study. */
    seriesInstanceUID: Uid.optional(),
  })
  .strict();

export const PacsSendResult = z.object({
  name: PacsNodeName,
  caseId: Id,
  /** The SR's identity: the same study as the case's source images, so the PACS shows it in that study. */
  studyInstanceUID: z.string(),
  seriesInstanceUID: z.string(),
  /** The first (usually only) SR; a case with several predicted images gets one SR per image, all listed below. */
  sopInstanceUID: z.string(),
  sopInstanceUIDs: z.array(z.string()),
});
export type PacsSendResult = z.infer<typeof PacsSendResult>;

/**
 * A retrieve job's progress. `listing` while the instances are being listed, `retrieving` after each instance
 * (done/total count instances, including those already in the store), `finished` once: with a status and, when it
 * did not complete, the error. `landed` lists the SOP Instance UIDs stored by this job (only in the finished event).
 */
export const PacsProgress = z.object({
  jobId: Id,
  name: PacsNodeName,
  studyInstanceUID: z.string(),
  phase: z.enum(['listing', 'retrieving', 'finished']),
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  /** Instances newly stored, already in the store (skipped without download or duplicate content). */
  imported: z.number().int().nonnegative(),
  alreadyStored: z.number().int().nonnegative(),
  /** Instances left alone because they hold no image (SRs, presentation states...); not counted in total. */
  notImages: z.number().int().nonnegative().optional(),
  /** The cases the retrieved instances joined. */
  caseIds: z.array(Id),
  status: z.enum(['complete', 'partial', 'failed', 'cancelled']).optional(),
  landed: z.array(z.string()).optional(),
  error: z.string().optional(),
});
export type PacsProgress = z.infer<typeof PacsProgress>;

const NameOnly = z.object({ name: PacsNodeName }).strict();

export const pacsMethods = {
  /** Configured PACS nodes (no secrets). */
  'pacs.list': { params: z.object({}).strict(), result: z.object({ nodes: z.array(PacsNodeInfo) }) },
  'pacs.add': { params: PacsAddParams, result: PacsNodeInfo },
  'pacs.update': { params: PacsUpdateParams, result: PacsNodeInfo },
  /** Removes the node and its stored secret. */
  'pacs.remove': { params: NameOnly, result: z.object({ removed: PacsNodeName }) },
  /** Echo: one small QIDO-RS request; never throws for an unreachable server, it reports ok false. */
  'pacs.test': { params: NameOnly, result: PacsTestResult },
  'pacs.query': { params: PacsQueryParams, result: PacsQueryResult },
  /** Starts downloading a study (or one series) into the case store; progress arrives as `pacs.progress` events. */
  'pacs.retrieve': { params: PacsRetrieveParams, result: z.object({ jobId: Id }) },
  'pacs.cancel': { params: z.object({ jobId: Id }).strict(), result: z.object({ cancelled: z.boolean() }) },
  /**
   * The retrieve jobs of this engine process, newest first: each running one's latest progress and the last finished
   * ones' final event. A window that reconnects (or reloads) picks up what it missed with it.
   */
  'pacs.jobs': { params: z.object({}).strict(), result: z.object({ jobs: z.array(PacsProgress) }) },
  /** Sends the case's DICOM SR (its latest prediction) to the PACS, in the study of the case's source images. */
  'pacs.send': { params: z.object({ name: PacsNodeName, caseId: Id }).strict(), result: PacsSendResult },
} as const;

export const pacsEvents = { 'pacs.progress': PacsProgress } as const;

/**
 * The PDF report of one case (pdf-lib, standard Helvetica, A4): the research-use notice at the top and in every
 * footer, the case facts, then per image the display rendering with the predicted class, every class's probability and
 * the predicted class's top visual symptoms with their contributions, the reviewer's label and note, the model version
 * and symptom set behind each prediction, and the export's warnings. Everything comes from the case document, so a
 * de-identified document gives a de-identified report.
 */
import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFImage, type PDFPage, type RGB } from 'pdf-lib';
import {
  DISCLAIMER,
  latestOf,
  latestReview,
  type CaseExportDocument,
  type ImageDoc,
  type PredictionDoc,
} from './case-document';
import type { RenderOutcome } from './evidence-image';
import { topSymptoms } from './evidence';
import { wrapText } from './text-layout';

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 48;
const WIDTH = A4[0] - 2 * MARGIN;
const FOOTER = 36;
const MAX_SYMPTOMS = 8;
const MAX_CLASSES = 12;

const ink = rgb(0.08, 0.12, 0.17);
const muted = rgb(0.34, 0.39, 0.44);
const accent = rgb(0.12, 0.44, 0.7);
const rule = rgb(0.83, 0.86, 0.88);
const warnFill = rgb(1, 0.957, 0.8);
const warnEdge = rgb(0.79, 0.59, 0);
const red = rgb(0.7, 0.23, 0.23);
const green = rgb(0.12, 0.48, 0.3);

const pct = (p: number): string => `${(100 * p).toFixed(1)}%`;
const sign = (v: number): string => `${v >= 0 ? '+' : '-'}${Math.abs(v).toFixed(3)}`;

interface Fonts {
  regular: PDFFont;
  bold: PDFFont;
}

/** Characters outside the standard fonts' WinAnsi set become '?' (pdf-lib would throw on them). */
function safeText(font: PDFFont, text: string): string {
  const supported = new Set(font.getCharacterSet());
  return [...text.replace(/\u2212/g, '-').replace(/[\t\r\n]+/g, ' ')]
    .map((ch) => (supported.has(ch.codePointAt(0) ?? 0) ? ch : '?'))
    .join('');
}

class ReportWriter {
  page!: PDFPage;
  y = 0;
  readonly pages: PDFPage[] = [];
  constructor(
    readonly pdf: PDFDocument,
    readonly fonts: Fonts,
  ) {
    this.newPage();
  }

  newPage(): void {
    this.page = this.pdf.addPage(A4);
    this.pages.push(this.page);
    this.y = A4[1] - MARGIN;
  }

  /** Starts a new page when less than h points remain above the footer. */
  ensure(h: number): void {
    if (this.y - h < MARGIN + FOOTER) this.newPage();
  }

  text(
    s: string,
    x: number,
    y: number,
    size: number,
    opts: { bold?: boolean; colour?: RGB; right?: boolean } = {},
  ): void {
    const font = opts.bold ? this.fonts.bold : this.fonts.regular;
    const safe = safeText(font, s);
    const dx = opts.right ? -font.widthOfTextAtSize(safe, size) : 0;
    this.page.drawText(safe, { x: x + dx, y, size, font, color: opts.colour ?? ink });
  }

  lines(s: string, size: number, width: number, opts: { bold?: boolean; maxLines?: number } = {}): string[] {
    const font = opts.bold ? this.fonts.bold : this.fonts.regular;
    return wrapText(safeText(font, s), width, (t) => font.widthOfTextAtSize(t, size), opts.maxLines);
  }

  /** A wrapped paragraph at the cursor, moving it down. */
  paragraph(
    s: string,
    size: number,
    opts: { bold?: boolean; colour?: RGB; x?: number; width?: number; maxLines?: number } = {},
  ): void {
    const x = opts.x ?? MARGIN;
    for (const line of this.lines(s, size, opts.width ?? WIDTH - (x - MARGIN), opts)) {
      this.ensure(size * 1.35);
      this.y -= size * 1.35;
      this.text(line, x, this.y, size, opts);
    }
  }

  heading(s: string, size = 13): void {
    this.ensure(size + 40);
    this.y -= size + 14;
    this.text(s, MARGIN, this.y, size, { bold: true });
    this.y -= 6;
    this.page.drawLine({
      start: { x: MARGIN, y: this.y },
      end: { x: MARGIN + WIDTH, y: this.y },
      thickness: 0.8,
      color: rule,
    });
  }

  /** Label: value rows. */
  facts(rows: readonly [string, string | null | undefined][]): void {
    for (const [label, value] of rows) {
      const lines = this.lines(value ?? '-', 10, WIDTH - 130);
      this.ensure(lines.length * 14 + 2);
      this.y -= 14;
      this.text(label, MARGIN, this.y, 10, { colour: muted });
      lines.forEach((line, i) => {
        if (i > 0) this.y -= 13;
        this.text(line, MARGIN + 130, this.y, 10);
      });
    }
  }

  disclaimerBox(): void {
    const lines = this.lines(DISCLAIMER, 9.5, WIDTH - 20);
    const h = 24 + lines.length * 12.5;
    this.ensure(h + 8);
    this.y -= h;
    this.page.drawRectangle({
      x: MARGIN,
      y: this.y,
      width: WIDTH,
      height: h,
      color: warnFill,
      borderColor: warnEdge,
      borderWidth: 1,
    });
    let ty = this.y + h - 16;
    this.text('RESEARCH USE ONLY - NOT FOR DIAGNOSTIC USE', MARGIN + 10, ty, 10.5, { bold: true });
    for (const line of lines) {
      ty -= 12.5;
      this.text(line, MARGIN + 10, ty, 9.5);
    }
  }

  footers(caseId: number): void {
    this.pages.forEach((page, i) => {
      const size = 8.5;
      const left = safeText(
        this.fonts.regular,
        `Case ${caseId} - ViP Workstation - Research use only, not for diagnostic use`,
      );
      page.drawText(left, { x: MARGIN, y: MARGIN - 10, size, font: this.fonts.regular, color: muted });
      const right = `Page ${i + 1} of ${this.pages.length}`;
      page.drawText(right, {
        x: MARGIN + WIDTH - this.fonts.regular.widthOfTextAtSize(right, size),
        y: MARGIN - 10,
        size,
        font: this.fonts.regular,
        color: muted,
      });
    });
  }
}

function modelLines(doc: CaseExportDocument, p: PredictionDoc): string[] {
  const version = p.modelVersionId ? doc.modelVersions.find((v) => v.id === p.modelVersionId) : undefined;
  const pkg = p.modelPackageId ? doc.modelPackages.find((m) => m.id === p.modelPackageId) : undefined;
  const set = p.symptomSetVersionId ? doc.symptomSets.find((s) => s.id === p.symptomSetVersionId) : undefined;
  const out = [
    version
      ? `Model version ${version.id} "${version.name}" (task ${version.task}), mode ${p.mode}`
      : `No trained model version: mode ${p.mode}`,
  ];
  if (pkg) out.push(`CLIP package ${pkg.id} (${pkg.name})${pkg.randomWeights ? ' - RANDOM WEIGHTS, demo only' : ''}`);
  if (set) out.push(`Symptom set ${set.name} version ${set.version}, ${set.approved ? 'approved' : 'not approved'}`);
  out.push(`Predicted ${p.createdAt.replace('T', ' ').slice(0, 19)} UTC (prediction ${p.predictionId})`);
  return out;
}

async function embedDisplay(pdf: PDFDocument, render: RenderOutcome | undefined): Promise<PDFImage | null> {
  if (!render?.ok) return null;
  try {
    return await pdf.embedPng(render.display.png);
  } catch {
    return null;
  }
}

async function imageSection(
  w: ReportWriter,
  doc: CaseExportDocument,
  image: ImageDoc,
  render: RenderOutcome | undefined,
): Promise<void> {
  w.heading(`Image ${image.index} of ${doc.images.length}: ${image.fileName}`);
  const p = latestOf(image);
  const embedded = await embedDisplay(w.pdf, render);
  const box = 200;
  const colX = MARGIN + box + 18;
  const colW = WIDTH - box - 18;
  const classes = p ? [...p.classes].sort((a, b) => b.probability - a.probability).slice(0, MAX_CLASSES) : [];
  const blockH = Math.max(box, 60 + classes.length * 15);
  w.ensure(blockH + 10);
  const top = w.y - 8;
  if (embedded) {
    const scale = Math.min(box / embedded.width, box / embedded.height);
    const iw = embedded.width * scale;
    const ih = embedded.height * scale;
    w.page.drawRectangle({ x: MARGIN, y: top - box, width: box, height: box, color: rgb(0, 0, 0) });
    w.page.drawImage(embedded, { x: MARGIN + (box - iw) / 2, y: top - box + (box - ih) / 2, width: iw, height: ih });
  } else {
    w.page.drawRectangle({ x: MARGIN, y: top - box, width: box, height: box, borderColor: rule, borderWidth: 1 });
    const why = render && !render.ok ? render.problem : 'not rendered';
    w.lines(`Image not available: ${why}`, 9, box - 16, { maxLines: 6 }).forEach((line, i) => {
      w.text(line, MARGIN + 8, top - 20 - i * 12, 9, { colour: muted });
    });
  }

  let y = top - 14;
  if (!p) {
    w.text('No prediction', colX, y, 16, { bold: true });
    y -= 18;
    for (const line of w.lines('No prediction has been made for this image; it is exported without one.', 10, colW)) {
      w.text(line, colX, y, 10, { colour: muted });
      y -= 13;
    }
  } else {
    w.text('Predicted class', colX, y, 9, { colour: muted });
    y -= 20;
    const name = w.lines(p.predictedClass, 17, colW - 70, { bold: true, maxLines: 1 })[0] ?? '';
    w.text(name, colX, y, 17, { bold: true, colour: accent });
    w.text(pct(p.probability), colX + colW, y, 17, { bold: true, right: true });
    y -= 22;
    w.text('Class probabilities', colX, y, 9, { colour: muted });
    for (const c of classes) {
      y -= 15;
      const isTop = c.className === p.predictedClass;
      const label = w.lines(c.className, 10, colW - 150, { bold: isTop, maxLines: 1 })[0] ?? '';
      w.text(label, colX, y, 10, { bold: isTop });
      const barX = colX + colW - 140;
      w.page.drawRectangle({ x: barX, y: y - 1, width: 90, height: 8, color: rgb(0.9, 0.92, 0.93) });
      w.page.drawRectangle({
        x: barX,
        y: y - 1,
        width: 90 * Math.max(0, Math.min(1, c.probability)),
        height: 8,
        color: isTop ? accent : rgb(0.6, 0.65, 0.7),
      });
      w.text(pct(c.probability), colX + colW, y, 10, { right: true, bold: isTop });
    }
    if (p.classes.length > MAX_CLASSES) {
      y -= 13;
      w.text(`... and ${p.classes.length - MAX_CLASSES} more classes (see case.json)`, colX, y, 9, { colour: muted });
    }
  }
  w.y = Math.min(top - box, y) - 6;
  if (!p) return;

  const symptoms = topSymptoms({ kind: p.evidenceKind, classes: p.classes }, p.predictedClass, MAX_SYMPTOMS);
  w.ensure(40);
  w.y -= 16;
  w.text(`Top visual symptoms for ${p.predictedClass}`, MARGIN, w.y, 11, { bold: true });
  if (symptoms.length === 0) {
    w.paragraph('This prediction has no per-symptom evidence (class-name prompts).', 10, { colour: muted });
  } else {
    w.y -= 14;
    const cols = { contribution: MARGIN, similarity: MARGIN + 80, weight: MARGIN + 150, text: MARGIN + 210 };
    w.text('Contribution', cols.contribution, w.y, 8.5, { colour: muted });
    w.text('Similarity', cols.similarity, w.y, 8.5, { colour: muted });
    w.text('Weight', cols.weight, w.y, 8.5, { colour: muted });
    w.text('Symptom', cols.text, w.y, 8.5, { colour: muted });
    for (const s of symptoms) {
      const lines = w.lines(s.text, 10, MARGIN + WIDTH - cols.text, { maxLines: 3 });
      w.ensure(lines.length * 12.5 + 4);
      w.y -= 14;
      w.text(sign(s.contribution), cols.contribution, w.y, 10, {
        bold: true,
        colour: s.contribution >= 0 ? green : red,
      });
      w.text(s.similarity.toFixed(3), cols.similarity, w.y, 10);
      w.text(s.weight.toFixed(3), cols.weight, w.y, 10);
      lines.forEach((line, i) => {
        if (i > 0) w.y -= 12.5;
        w.text(line, cols.text, w.y, 10);
      });
    }
    const cls = p.classes.find((c) => c.className === p.predictedClass);
    if (cls?.logit !== null && cls?.logit !== undefined) {
      w.paragraph(
        `Logit ${cls.logit.toFixed(3)} = prototype term ${sign(cls.prototypeContribution ?? 0)} + the sum of ` +
          `${cls.symptoms.length} symptom contributions (the ${symptoms.length} largest are listed).`,
        8.5,
        { colour: muted },
      );
    }
  }
  w.y -= 4;
  for (const line of modelLines(doc, p)) w.paragraph(line, 9, { colour: muted });
}

export async function buildPdfReport(
  doc: CaseExportDocument,
  renders: ReadonlyMap<number, RenderOutcome>,
): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  // The title is shown by viewers and indexed by search tools: no patient identifiers in it, whatever the mode.
  pdf.setTitle(`ViP case report - case ${doc.case.caseId}`);
  pdf.setSubject('Image classification with visual symptom evidence. Research use only.');
  pdf.setCreator(`${doc.export.software.name} ${doc.export.software.version}`);
  pdf.setProducer(`${doc.export.software.name} (pdf-lib)`);
  pdf.setCreationDate(new Date(doc.export.createdAt));
  pdf.setModificationDate(new Date(doc.export.createdAt));
  const fonts = {
    regular: await pdf.embedFont(StandardFonts.Helvetica),
    bold: await pdf.embedFont(StandardFonts.HelveticaBold),
  };
  const w = new ReportWriter(pdf, fonts);
  const c = doc.case;

  w.y -= 18;
  w.text('ViP Workstation - Case report', MARGIN, w.y, 18, { bold: true });
  w.y -= 16;
  w.text(
    `Case ${c.caseId} - ${c.patient.pseudonym} - exported ${doc.export.createdAt.slice(0, 10)}${doc.export.identified ? ' - IDENTIFIED' : ' - de-identified'}`,
    MARGIN,
    w.y,
    10,
    { colour: muted },
  );
  w.y -= 8;
  w.disclaimerBox();

  w.heading('Case');
  const facts: [string, string | null][] = [
    ['Case', String(c.caseId)],
    [doc.export.identified ? 'Patient key' : 'Patient', c.patient.pseudonym],
  ];
  if (doc.export.identified) {
    facts.push(['Patient name', c.patient.name], ['Patient ID', c.patient.id], ['Birth date', c.patient.birthDate]);
    facts.push(['Sex', c.patient.sex], ['Study date', c.studyDate], ['Description', c.description]);
  }
  facts.push(
    ['Modality', c.modality],
    ['Body part', c.bodyPart],
    ['Images', String(doc.images.length)],
    [
      'Prediction',
      doc.predictionStatus === 'none'
        ? 'No prediction has been made for this case.'
        : doc.predictionStatus === 'partial'
          ? 'Some images have no prediction.'
          : c.worklist.predictedClass
            ? `${c.worklist.predictedClass} (${pct(c.worklist.predictedProbability ?? 0)}) on the worklist`
            : 'Predicted',
    ],
  );
  w.facts(facts);

  w.heading('Review');
  const review = latestReview(doc);
  if (review) {
    const agrees =
      review.agreesWithModel === null
        ? null
        : review.agreesWithModel
          ? 'Agrees with the model'
          : 'Disagrees with the model';
    w.facts([
      ['Reviewer label', review.label],
      ['Agreement', agrees],
      ['Note', review.note],
      ['Reviewer', review.reviewer],
      ['Reviewed', review.createdAt.replace('T', ' ').slice(0, 19) + ' UTC'],
    ]);
    if (doc.reviews.length > 1)
      w.paragraph(`${doc.reviews.length - 1} earlier review(s) are in case.json.`, 9, { colour: muted });
  } else {
    w.paragraph('Not reviewed.', 10, { colour: muted });
  }
  if (c.notes) {
    w.heading('Notes');
    w.paragraph(c.notes, 10);
  }

  for (const image of doc.images) await imageSection(w, doc, image, renders.get(image.imageId));
  if (doc.images.length === 0) {
    w.heading('Images');
    w.paragraph('This case has no images.', 10, { colour: muted });
  }

  if (doc.warnings.length > 0) {
    w.heading('Warnings');
    for (const warning of doc.warnings) w.paragraph(`- ${warning}`, 10, { colour: red });
  }
  w.heading('About this report', 11);
  w.paragraph(
    'Each symptom contribution is the exact additive share of the class logit that the visual symptom accounts for; the ' +
      'logit is the prototype term plus all contributions. Similarity is the cosine between the image and the symptom ' +
      'text; weight is the learned attention on the symptom.',
    9,
    { colour: muted },
  );
  w.paragraph(
    doc.export.identified
      ? "This report was exported with identified data at the user's explicit request (recorded in the audit log)."
      : 'De-identified: patient name, ID and birth date, dates and descriptions removed; names of people replaced by pseudonyms.',
    9,
    { colour: muted },
  );
  w.footers(c.caseId);
  return pdf.save();
}

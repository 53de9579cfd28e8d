/**
 * The evidence panel drawn beside each exported image, as SVG for sharp to rasterise: the predicted class and its
 * probability, every class's probability as a bar, the predicted class's strongest visual symptoms with their signed
 * contributions to the logit, the prototype term, the reviewer's label, the model version, and the research-use notice.
 * Light background and dark text so it prints and projects legibly; one accent colour for the predicted class.
 */
import { latestOf, latestReview, type CaseExportDocument, type ImageDoc } from './case-document';
import { topSymptoms } from './evidence';
import { percent, signed, wrapText } from './text-layout';

export const PANEL_WIDTH = 620;
const PAD = 28;
const INNER = PANEL_WIDTH - 2 * PAD;
const FONT = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";
const MAX_CLASSES = 8;
const MAX_SYMPTOMS = 6;

const colour = {
  ink: '#14202b',
  muted: '#56636f',
  rule: '#d5dbe1',
  band: '#0f2a43',
  accent: '#1f6fb2',
  track: '#e6eaee',
  other: '#9aa7b3',
  positive: '#1f7a4d',
  negative: '#b23a3a',
  warnFill: '#fff4cc',
  warnEdge: '#c99700',
  panel: '#ffffff',
} as const;

const escapeXml = (s: string): string =>
  s.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch] ?? ch);

/** DejaVu Sans averages a little over half the font size per character; wide enough never to overflow. */
const estimateWidth =
  (size: number, bold = false) =>
  (s: string) =>
    s.length * size * (bold ? 0.64 : 0.6);

class Svg {
  readonly parts: string[] = [];
  y = 0;
  text(x: number, y: number, s: string, size: number, opts: { fill?: string; bold?: boolean; anchor?: string } = {}) {
    this.parts.push(
      `<text x="${x}" y="${y}" font-family="${FONT}" font-size="${size}"${opts.bold ? ' font-weight="bold"' : ''}` +
        ` fill="${opts.fill ?? colour.ink}"${opts.anchor ? ` text-anchor="${opts.anchor}"` : ''}>${escapeXml(s)}</text>`,
    );
  }
  rect(x: number, y: number, w: number, h: number, fill: string, extra = '') {
    this.parts.push(
      `<rect x="${x}" y="${y}" width="${Math.max(0, w)}" height="${Math.max(0, h)}" fill="${fill}"${extra}/>`,
    );
  }
  /** Wrapped lines, advancing y. */
  paragraph(s: string, size: number, opts: { fill?: string; bold?: boolean; maxLines?: number; x?: number } = {}) {
    const width = INNER - ((opts.x ?? PAD) - PAD);
    const lines = wrapText(s, width, estimateWidth(size, opts.bold), opts.maxLines);
    for (const line of lines) {
      this.y += size * 1.3;
      this.text(opts.x ?? PAD, this.y, line, size, opts);
    }
  }
  heading(s: string) {
    this.y += 30;
    this.text(PAD, this.y, s.toUpperCase(), 13, { fill: colour.muted, bold: true });
    this.y += 8;
    this.rect(PAD, this.y, INNER, 1, colour.rule);
  }
}

export interface PanelInput {
  doc: CaseExportDocument;
  image: ImageDoc;
  /** Why the image itself could not be drawn, shown in the panel. */
  renderProblem: string | null;
  minHeight: number;
}

export function evidencePanelSvg(input: PanelInput): { svg: string; height: number } {
  const { doc, image } = input;
  const s = new Svg();
  const p = latestOf(image);

  // Title band.
  s.rect(0, 0, PANEL_WIDTH, 64, colour.band);
  s.text(PAD, 28, 'ViP evidence', 20, { fill: '#ffffff', bold: true });
  s.text(
    PAD,
    50,
    `Case ${doc.case.caseId} \u00b7 image ${image.index} of ${doc.images.length} \u00b7 ${doc.case.patient.pseudonym}`,
    14,
    { fill: '#c9d6e2' },
  );
  // Research-use notice, always visible.
  s.rect(PAD, 78, INNER, 34, colour.warnFill, ` stroke="${colour.warnEdge}" stroke-width="1.5" rx="4"`);
  s.text(PAD + 12, 100, 'RESEARCH USE ONLY \u2014 not for diagnostic use', 14, { bold: true, fill: '#5c4400' });
  s.y = 112;

  if (input.renderProblem) {
    s.heading('Image');
    s.paragraph(`The image could not be drawn: ${input.renderProblem}`, 14, { fill: colour.negative, maxLines: 3 });
  }

  if (!p) {
    s.heading('Prediction');
    s.paragraph('No prediction has been made for this image.', 16, { bold: true });
    s.paragraph('This export carries the image and its case as they are; run a prediction to add evidence.', 14, {
      fill: colour.muted,
    });
  } else {
    s.heading('Predicted class');
    s.y += 36;
    const name = wrapText(p.predictedClass, INNER - 130, estimateWidth(28, true), 1)[0] ?? '';
    s.text(PAD, s.y, name, 28, { bold: true, fill: colour.accent });
    s.text(PAD + INNER, s.y, percent(p.probability), 28, { bold: true, anchor: 'end' });

    s.y += 6;
    s.heading('Class probabilities');
    const classes = [...p.classes].sort((a, b) => b.probability - a.probability).slice(0, MAX_CLASSES);
    const labelW = 190;
    const barX = PAD + labelW;
    const barW = INNER - labelW - 70;
    for (const c of classes) {
      s.y += 26;
      const isTop = c.className === p.predictedClass;
      const label = wrapText(c.className, labelW - 10, estimateWidth(14, isTop), 1)[0] ?? '';
      s.text(PAD, s.y, label, 14, { bold: isTop });
      s.rect(barX, s.y - 12, barW, 14, colour.track, ' rx="2"');
      s.rect(
        barX,
        s.y - 12,
        barW * Math.max(0, Math.min(1, c.probability)),
        14,
        isTop ? colour.accent : colour.other,
        ' rx="2"',
      );
      s.text(PAD + INNER, s.y, percent(c.probability), 14, { anchor: 'end', bold: isTop });
    }
    if (p.classes.length > MAX_CLASSES) {
      s.y += 22;
      s.text(PAD, s.y, `\u2026 and ${p.classes.length - MAX_CLASSES} more classes (see case.json)`, 12, {
        fill: colour.muted,
      });
    }

    const top = topSymptoms({ kind: p.evidenceKind, classes: p.classes }, p.predictedClass, MAX_SYMPTOMS);
    const cls = p.classes.find((c) => c.className === p.predictedClass);
    s.heading(`Visual symptoms for ${p.predictedClass}`);
    if (top.length === 0) {
      s.paragraph('This prediction has no per-symptom evidence (class-name prompts).', 14, { fill: colour.muted });
    } else {
      const maxAbs = Math.max(...top.map((t) => Math.abs(t.contribution)), 1e-9);
      const numW = 78;
      const half = 60;
      for (const sym of top) {
        s.y += 24;
        const mid = PAD + numW + half;
        const w = (half * Math.abs(sym.contribution)) / maxAbs;
        s.text(PAD, s.y, signed(sym.contribution), 14, {
          bold: true,
          fill: sym.contribution >= 0 ? colour.positive : colour.negative,
        });
        s.rect(PAD + numW, s.y - 11, 2 * half, 12, colour.track, ' rx="2"');
        s.rect(
          sym.contribution >= 0 ? mid : mid - w,
          s.y - 11,
          w,
          12,
          sym.contribution >= 0 ? colour.positive : colour.negative,
        );
        s.rect(mid - 0.5, s.y - 14, 1, 18, colour.ink);
        const textX = PAD + numW + 2 * half + 14;
        const lines = wrapText(sym.text, PAD + INNER - textX, estimateWidth(14), 2);
        lines.forEach((line, i) => {
          if (i > 0) s.y += 18;
          s.text(textX, s.y, line, 14);
        });
        s.y += 17;
        s.text(textX, s.y, `similarity ${sym.similarity.toFixed(3)} \u00b7 weight ${sym.weight.toFixed(3)}`, 12, {
          fill: colour.muted,
        });
      }
      if (cls && cls.logit !== null) {
        s.y += 26;
        const proto = cls.prototypeContribution ?? 0;
        s.text(
          PAD,
          s.y,
          `Logit ${cls.logit.toFixed(3)} = prototype ${signed(proto)} + ${cls.symptoms.length} symptom contributions`,
          12,
          { fill: colour.muted },
        );
      }
    }

    s.heading('Model');
    const version = p.modelVersionId ? doc.modelVersions.find((v) => v.id === p.modelVersionId) : undefined;
    const pkg = p.modelPackageId ? doc.modelPackages.find((m) => m.id === p.modelPackageId) : undefined;
    const set = p.symptomSetVersionId ? doc.symptomSets.find((x) => x.id === p.symptomSetVersionId) : undefined;
    s.paragraph(
      version ? `Version ${version.id} \u201c${version.name}\u201d (${p.mode})` : `No trained version (${p.mode})`,
      14,
      { maxLines: 2 },
    );
    if (pkg)
      s.paragraph(`CLIP package ${pkg.id}${pkg.randomWeights ? ' \u2014 RANDOM WEIGHTS (demo)' : ''}`, 13, {
        fill: pkg.randomWeights ? colour.negative : colour.muted,
        maxLines: 2,
      });
    if (set)
      s.paragraph(`Symptom set ${set.name} v${set.version} (${set.approved ? 'approved' : 'not approved'})`, 13, {
        fill: colour.muted,
        maxLines: 2,
      });
  }

  s.heading('Review');
  const review = latestReview(doc);
  if (review) {
    const agrees =
      review.agreesWithModel === null
        ? ''
        : review.agreesWithModel
          ? ' (agrees with the model)'
          : ' (disagrees with the model)';
    s.paragraph(`Label: ${review.label}${agrees}`, 15, { bold: true, maxLines: 2 });
    if (review.note) s.paragraph(review.note, 13, { maxLines: 3 });
    s.paragraph(`${review.reviewer ?? 'Unknown reviewer'}, ${review.createdAt.slice(0, 10)}`, 12, {
      fill: colour.muted,
    });
  } else {
    s.paragraph('Not reviewed.', 14, { fill: colour.muted });
  }

  s.y += 30;
  s.text(
    PAD,
    s.y,
    `Exported ${doc.export.createdAt.slice(0, 10)} \u00b7 ViP Workstation ${doc.export.software.version}`,
    11,
    {
      fill: colour.muted,
    },
  );
  const height = Math.ceil(Math.max(input.minHeight, s.y + PAD));
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${PANEL_WIDTH}" height="${height}" viewBox="0 0 ${PANEL_WIDTH} ${height}">` +
    `<rect width="${PANEL_WIDTH}" height="${height}" fill="${colour.panel}"/>${s.parts.join('')}</svg>`;
  return { svg, height };
}

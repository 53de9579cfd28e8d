/** What is known about the case and the shown image, including every DICOM attribute the engine extracted. */
import type { ReactNode } from 'react';
import type { CaseDetail, ImageInfo } from '@shared/contract';
import { formatAttribute, formatBytes, formatProbability, formatStudyDate, formatTimestamp } from '../../lib/format';

function Fact(props: { term: string; children: ReactNode }): ReactNode {
  return (
    <>
      <dt>{props.term}</dt>
      <dd>{props.children}</dd>
    </>
  );
}

export function CaseFacts(props: { detail: CaseDetail }): ReactNode {
  const d = props.detail;
  return (
    <dl className="facts">
      <Fact term="Study date">{formatStudyDate(d.studyDate) || '—'}</Fact>
      <Fact term="Modality">{d.modality ?? '—'}</Fact>
      <Fact term="Body part">{d.bodyPart ?? '—'}</Fact>
      <Fact term="Description">{d.description ?? '—'}</Fact>
      <Fact term="Patient key">{d.patientKey ?? '—'}</Fact>
      <Fact term="Prediction">
        {d.predictedClass ? `${d.predictedClass} (${formatProbability(d.predictedProbability)})` : 'None yet'}
      </Fact>
      <Fact term="Review">
        {d.reviewStatus === 'reviewed' ? `Reviewed${d.reviewLabel ? `: ${d.reviewLabel}` : ''}` : 'Unreviewed'}
      </Fact>
      <Fact term="Imported">{formatTimestamp(d.createdAt)}</Fact>
      <Fact term="Images">{d.imageCount}</Fact>
    </dl>
  );
}

export function ImageFacts(props: { image: ImageInfo; rendered: { width: number; height: number } | null }): ReactNode {
  const im = props.image;
  return (
    <dl className="facts">
      <Fact term="File">
        <span className="break">{im.originalName}</span>
      </Fact>
      <Fact term="Media type">{im.mediaType}</Fact>
      <Fact term="Size">
        {im.width} × {im.height} px{im.frameCount > 1 ? `, ${im.frameCount} frames` : ''}
      </Fact>
      {props.rendered && (props.rendered.width !== im.width || props.rendered.height !== im.height) ? (
        <Fact term="Shown at">
          {props.rendered.width} × {props.rendered.height} px
        </Fact>
      ) : null}
      <Fact term="File size">{formatBytes(im.sizeBytes)}</Fact>
      <Fact term="Imported">{formatTimestamp(im.importedAt)}</Fact>
      <Fact term="SHA-256">
        <code className="break" title={im.sha256}>
          {im.sha256.slice(0, 16)}…
        </code>
      </Fact>
    </dl>
  );
}

export function DicomTable(props: { dicom: Record<string, unknown> | null }): ReactNode {
  if (!props.dicom) return <p className="muted">Not a DICOM file: no DICOM attributes.</p>;
  const entries = Object.entries(props.dicom).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return <p className="muted">The DICOM file carried no attributes the engine keeps.</p>;
  return (
    <div className="table-wrap">
      <table className="attr-table">
        <caption className="visually-hidden">DICOM attributes</caption>
        <thead>
          <tr>
            <th scope="col">Attribute</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td className="break">{formatAttribute(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

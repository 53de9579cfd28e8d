/**
 * The PACS search: patient ID, patient name (matched from its start; "Family, Given"), study date range, modality and
 * accession number. Enter searches; "/" jumps to the first field; every field left empty lists the newest studies.
 */
import { useEffect, useRef, type FormEvent, type ReactNode } from 'react';
import { searchProblem, type SearchForm } from './pacs-logic';

/** Common DICOM modality codes offered as suggestions; any code can be typed. */
const MODALITIES = ['CR', 'DX', 'CT', 'MR', 'US', 'MG', 'XA', 'PT', 'NM', 'OP', 'SM', 'ES', 'OT'];

export function PacsSearchForm(props: {
  form: SearchForm;
  disabled: boolean;
  searching: boolean;
  onChange: (patch: Partial<SearchForm>) => void;
  onSearch: () => void;
  onClear: () => void;
}): ReactNode {
  const { form, onChange } = props;
  const first = useRef<HTMLInputElement>(null);
  const problem = searchProblem(form);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const target = e.target as HTMLElement | null;
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      e.preventDefault();
      first.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (!problem && !props.disabled) props.onSearch();
  };

  const text = (key: keyof SearchForm) => ({
    value: form[key],
    onChange: (e: { target: { value: string } }) => onChange({ [key]: e.target.value }),
  });

  return (
    <form className="pacs-search" role="search" aria-label="Search the PACS" onSubmit={submit} noValidate>
      <fieldset className="pacs-search__fields" disabled={props.disabled}>
        <label className="field">
          <span>Patient ID</span>
          <input ref={first} type="text" maxLength={64} spellCheck={false} autoComplete="off" {...text('patientId')} />
        </label>
        <label className="field field--wide">
          <span>Patient name</span>
          <input
            type="text"
            maxLength={300}
            spellCheck={false}
            autoComplete="off"
            placeholder="Family, Given"
            title="Matches names starting with what you type; * and ? are wildcards"
            {...text('patientName')}
          />
        </label>
        <label className="field">
          <span>Study date from</span>
          <input type="date" max={form.dateTo || undefined} {...text('dateFrom')} />
        </label>
        <label className="field">
          <span>Study date to</span>
          <input
            type="date"
            min={form.dateFrom || undefined}
            aria-invalid={problem ? true : undefined}
            {...text('dateTo')}
          />
        </label>
        <label className="field field--narrow">
          <span>Modality</span>
          <input
            type="text"
            maxLength={16}
            list="pacs-modalities"
            spellCheck={false}
            autoComplete="off"
            placeholder="Any"
            {...text('modality')}
          />
          <datalist id="pacs-modalities">
            {MODALITIES.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </label>
        <label className="field">
          <span>Accession number</span>
          <input type="text" maxLength={64} spellCheck={false} autoComplete="off" {...text('accessionNumber')} />
        </label>
        <div className="pacs-search__buttons">
          <button type="submit" className="button button--primary" disabled={problem !== null}>
            {props.searching ? 'Searching…' : 'Search'}
          </button>
          <button type="button" className="button" onClick={props.onClear}>
            Clear
          </button>
        </div>
      </fieldset>
      {problem ? <p className="field__problem">{problem}</p> : null}
    </form>
  );
}

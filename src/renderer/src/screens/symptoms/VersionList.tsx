/** Symptom sets and their versions, newest first, each marked approved or not; picking one opens it. */
import type { ReactNode } from 'react';
import type { SymptomSetVersionSummary } from '@shared/contract';

function groups(versions: readonly SymptomSetVersionSummary[]): [string, SymptomSetVersionSummary[]][] {
  const byName = new Map<string, SymptomSetVersionSummary[]>();
  for (const v of versions) byName.set(v.name, [...(byName.get(v.name) ?? []), v]);
  return [...byName.entries()].map(([name, list]) => [name, [...list].sort((a, b) => b.version - a.version)]);
}

export function VersionList(props: {
  versions: readonly SymptomSetVersionSummary[];
  selectedId: number | null;
  onSelect: (id: number) => void;
}): ReactNode {
  return (
    <nav className="symptom-sets" aria-label="Symptom sets">
      {groups(props.versions).map(([name, list]) => (
        <section key={name} className="symptom-sets__set" aria-label={name}>
          <h3 className="symptom-sets__name break">{name}</h3>
          <ul className="symptom-sets__versions">
            {list.map((v) => (
              <li key={v.id}>
                <button
                  type="button"
                  className="symptom-sets__version"
                  aria-pressed={v.id === props.selectedId}
                  onClick={() => props.onSelect(v.id)}
                >
                  <span>v{v.version}</span>
                  <span className={v.approved ? 'tag tag--approved' : 'tag tag--unapproved'}>
                    {v.approved ? 'approved' : 'not approved'}
                  </span>
                  <span className="muted">{v.origin}</span>
                  {v.partial ? <span className="tag tag--partial">partial</span> : null}
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </nav>
  );
}

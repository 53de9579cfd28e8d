/**
 * A confusion matrix as a table: rows are the true classes, columns the predicted ones; each cell is shaded by its
 * share of its row, so the diagonal stands out whatever the class sizes.
 */
import type { ReactNode } from 'react';

export function ConfusionMatrix(props: { title: string; classes: readonly string[]; matrix: number[][] }): ReactNode {
  const { classes, matrix } = props;
  return (
    <table className="confusion">
      <caption>{props.title}</caption>
      <thead>
        <tr>
          <th scope="col" className="confusion__corner">
            True ↓ / Predicted →
          </th>
          {classes.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {classes.map((c, i) => {
          const row = matrix[i] ?? [];
          const total = row.reduce((a, b) => a + b, 0);
          return (
            <tr key={c}>
              <th scope="row">{c}</th>
              {classes.map((p, j) => {
                const n = row[j] ?? 0;
                const share = total > 0 ? n / total : 0;
                const diagonal = i === j;
                return (
                  <td
                    key={p}
                    className={diagonal ? 'confusion__cell confusion__cell--diag' : 'confusion__cell'}
                    style={{
                      backgroundColor: diagonal
                        ? `rgba(74, 168, 255, ${0.12 + 0.55 * share})`
                        : `rgba(255, 143, 133, ${share > 0 ? 0.12 + 0.5 * share : 0})`,
                    }}
                    title={`${n} of ${total} ${c} images predicted ${p}`}
                  >
                    {n}
                  </td>
                );
              })}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/**
 * A screen whose engine API does not exist yet. It says so plainly and lists what it will hold; it never shows
 * made-up data.
 */
import type { ReactNode } from 'react';

export function PlannedScreen(props: { title: string; summary: string; plans: string[]; cli?: string }): ReactNode {
  const id = `planned-${props.title.toLowerCase()}`;
  return (
    <section className="screen screen--narrow" aria-labelledby={id}>
      <h1 id={id}>{props.title}</h1>
      <p className="notice">
        <strong>Not available yet.</strong> The engine does not offer this part of the API in this version, so there is
        nothing to show here.
      </p>
      <p>{props.summary}</p>
      <h2>What this screen will hold</h2>
      <ul className="plain-list">
        {props.plans.map((p) => (
          <li key={p}>{p}</li>
        ))}
      </ul>
      {props.cli ? <p className="muted">{props.cli}</p> : null}
    </section>
  );
}

/**
 * One number as a horizontal bar with its value. Unsigned bars grow from the left; signed bars grow from the centre
 * line (right for positive, left for negative). `scale` is the value that fills the bar (half of it when signed).
 */
import type { ReactNode } from 'react';

export function MetricBar(props: {
  value: number;
  scale: number;
  label: string;
  text: string;
  signed?: boolean;
  tone?: 'similarity' | 'weight' | 'contribution' | 'probability' | 'prototype';
  emphasis?: boolean;
}): ReactNode {
  const { value, signed = false } = props;
  const scale = props.scale > 0 && Number.isFinite(props.scale) ? props.scale : 1;
  const share = Math.min(1, Math.abs(value) / scale);
  const style = signed
    ? value >= 0
      ? { left: '50%', width: `${share * 50}%` }
      : { left: `${50 - share * 50}%`, width: `${share * 50}%` }
    : { left: '0', width: `${Math.max(0, value / scale) * 100}%` };
  const negative = signed && value < 0;
  return (
    <span className={`mbar mbar--${props.tone ?? 'probability'}${props.emphasis ? ' mbar--emphasis' : ''}`}>
      <span
        className={`mbar__track${signed ? ' mbar__track--signed' : ''}`}
        role="meter"
        aria-label={props.label}
        aria-valuenow={value}
        aria-valuemin={signed ? -scale : 0}
        aria-valuemax={scale}
        aria-valuetext={props.text}
      >
        <span className={`mbar__fill${negative ? ' mbar__fill--negative' : ''}`} style={style} />
      </span>
      <span className="mbar__value">{props.text}</span>
    </span>
  );
}

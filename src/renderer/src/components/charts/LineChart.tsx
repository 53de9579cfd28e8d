/**
 * A line chart over epochs (chart.js on a canvas), styled for the dark theme. The x axis spans all planned epochs
 * from the start, so a run's progress reads at a glance. Updates redraw without animation (live training).
 * The canvas is labelled with the latest values for screen readers.
 */
import {
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { useEffect, useRef, type ReactNode } from 'react';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip);

export interface Series {
  label: string;
  color: string;
  /** Points (x = epoch); missing values are left out. */
  points: { x: number; y: number }[];
  dashed?: boolean;
}

const TEXT = '#9ba5b3';
const GRID = '#232b35';

function config(props: LineChartProps): ChartConfiguration<'line', { x: number; y: number }[]> {
  return {
    type: 'line',
    data: {
      datasets: props.series.map((s) => ({
        label: s.label,
        data: s.points,
        borderColor: s.color,
        backgroundColor: s.color,
        borderWidth: 2,
        pointRadius: s.points.length > 40 ? 0 : 2.5,
        tension: 0.15,
        ...(s.dashed ? { borderDash: [5, 4] } : {}),
      })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: {
          type: 'linear',
          min: 1,
          max: Math.max(2, props.xMax),
          title: { display: true, text: 'Epoch', color: TEXT },
          ticks: { color: TEXT, precision: 0 },
          grid: { color: GRID },
        },
        y: {
          ...(props.yMin !== undefined ? { min: props.yMin } : {}),
          ...(props.yMax !== undefined ? { max: props.yMax } : {}),
          beginAtZero: props.yMin === undefined,
          ticks: { color: TEXT },
          grid: { color: GRID },
        },
      },
      plugins: {
        legend: { labels: { color: '#c9d1db', boxWidth: 12, boxHeight: 2 } },
        tooltip: { enabled: true },
      },
    },
  };
}

export interface LineChartProps {
  title: string;
  series: Series[];
  xMax: number;
  yMin?: number;
  yMax?: number;
}

function describe(props: LineChartProps): string {
  const latest = props.series
    .map((s) => {
      const last = s.points[s.points.length - 1];
      return last ? `${s.label} ${last.y.toFixed(3)} at epoch ${last.x}` : `${s.label}: no value yet`;
    })
    .join('; ');
  return `${props.title}. ${latest}.`;
}

export function LineChart(props: LineChartProps): ReactNode {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const chartRef = useRef<Chart<'line', { x: number; y: number }[]> | null>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const chart = new Chart(canvas, config(props));
    chartRef.current = chart;
    return () => {
      chart.destroy();
      chartRef.current = null;
    };
    // Created once; later props go through the update effect below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    const next = config(props);
    chart.data = next.data;
    if (next.options) chart.options = next.options;
    chart.update('none');
  });

  return (
    <figure className="line-chart">
      <figcaption className="line-chart__title">{props.title}</figcaption>
      <div className="line-chart__canvas">
        <canvas ref={canvasRef} role="img" aria-label={describe(props)} />
      </div>
    </figure>
  );
}

// Trends over nights: the revocation p50 of every run, per cell key and
// variant, over the run's start time.
import { addChart } from '../charts.js';
import { el, emptyState, formatMs, section } from '../dom.js';

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STEPS = [MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR,
  DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 365 * DAY];

// A time axis on a linear scale: a round step (minutes to years) giving at
// most 6 ticks, bounds on multiples of it (so every tick is a round time),
// labels with the time of day only when the step is under a day.
export function timeAxis(xs) {
  const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
  const span = Math.max(hi - lo, 30 * MINUTE);
  const step = STEPS.find((s) => span / s <= 5) ?? STEPS[STEPS.length - 1];
  const min = Math.floor((lo - span * 0.05) / step) * step;
  const max = Math.ceil((hi + span * 0.05) / step) * step;
  const label = (value) => {
    const iso = new Date(value).toISOString();
    return step < DAY ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
  };
  return { type: 'linear', min, max, ticks: { stepSize: step, callback: label, maxRotation: 0, autoSkip: true } };
}

export function renderTrends(data, colourOf) {
  const { node, body } = section('trends', 'Trends over nights', 'p50 revocation latency of each run (x: when the run started, UTC), per cell; one line per variant.');
  const trends = (data.trends ?? []).filter((t) => t.lines.some((l) => l.points.some((p) => Number.isFinite(p.p50_ms))));
  if (trends.length === 0) {
    body.append(emptyState('No run measured a revocation latency yet.'));
    return node;
  }
  // One time axis for every chart, so the charts line up.
  const xs = trends.flatMap((t) => t.lines.flatMap((l) => l.points.filter((p) => Number.isFinite(p.p50_ms)).map((p) => Date.parse(p.started_at))));
  const grid = el('div', { class: 'grid' });
  body.append(grid);
  for (const { key, lines } of trends) {
    const datasets = lines.map((line) => ({
      label: line.variant,
      data: line.points.filter((p) => Number.isFinite(p.p50_ms)).map((p) => ({ x: Date.parse(p.started_at), y: p.p50_ms, run: p.run_id, n: p.n })),
      showLine: true,
      borderColor: colourOf(line.variant),
      backgroundColor: colourOf(line.variant),
      borderWidth: 2,
      pointRadius: 3,
    })).filter((d) => d.data.length > 0);
    addChart(grid, 'trends', key, {
      type: 'scatter',
      data: { datasets },
      options: {
        parsing: false,
        scales: {
          x: { ...timeAxis(xs), title: { display: true, text: 'run started (UTC)' } },
          y: { beginAtZero: true, title: { display: true, text: 'p50 revocation (ms)' } },
        },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${formatMs(ctx.raw.y)} ms (n=${ctx.raw.n}, run ${ctx.raw.run})` } },
        },
      },
    }, { height: 220 });
  }
  return node;
}

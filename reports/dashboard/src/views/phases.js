// Phase breakdown, as stacked bars of each phase's p50 (ms) per cell and
// variant (latest run of each): the first poisoned page's way from the
// injection to its signal, and the whole range (first signal, then the
// rest), each in its own chart since with many pages the rest dwarfs the
// first page's phases.
import { addChart } from '../charts.js';
import { emptyState, formatMs, section } from '../dom.js';

// Readable names of the phases the site data lists (runner/dashboard/site_views.h).
const PHASE_LABELS = {
  memory_failure_first: 'injection → memory_failure',
  memory_failure_to_notify: 'memory_failure → notify',
  notify_to_unmap_done: 'notify → unmap done',
  unmap_done_to_signal_generated: 'unmap done → signal generated',
  signal_generated_to_received: 'signal generated → received',
  inject_to_first_signal: 'injection → first signal',
  first_to_last_signal: 'first → last signal',
};

const PHASE_COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c755f'];

function stackedChart(body, title, phases, allBars, colourOffset) {
  const bars = allBars.filter((bar) => phases.some((p) => Number.isFinite(bar.median_ms[p])));
  if (bars.length === 0) return false;
  const datasets = phases.map((phase, i) => ({
    label: PHASE_LABELS[phase] ?? phase,
    data: bars.map((bar) => (Number.isFinite(bar.median_ms[phase]) ? bar.median_ms[phase] : null)),
    backgroundColor: PHASE_COLOURS[(i + colourOffset) % PHASE_COLOURS.length],
    borderColor: PHASE_COLOURS[(i + colourOffset) % PHASE_COLOURS.length],
    borderWidth: 0,
  })).filter((dataset) => dataset.data.some((v) => v !== null));
  addChart(body, 'phases', title, {
    type: 'bar',
    data: { labels: bars.map((bar) => `${bar.key} · ${bar.variant}`), datasets },
    options: {
      indexAxis: 'y',
      scales: {
        x: { stacked: true, title: { display: true, text: 'ms (p50 of each phase)' } },
        y: { stacked: true, ticks: { autoSkip: false } },
      },
      plugins: {
        legend: { position: 'top', labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (ctx) => `${ctx.dataset.label}: ${formatMs(ctx.parsed.x)} ms`,
            footer: (items) => (items.length ? `revocation p50: ${formatMs(bars[items[0].dataIndex].revocation_p50_ms)} ms` : ''),
          },
        },
      },
    },
  }, { height: 90 + 22 * bars.length, className: 'chart wide' });
  return true;
}

export function renderPhases(data) {
  const phases = data.phases ?? { first_page: [], range: [], bars: [] };
  const { node, body } = section('phases', 'Phase breakdown', phases.note ?? 'p50 of each phase over the trials, stacked, per cell and variant.');
  const firstPage = stackedChart(body, 'first poisoned page: injection to its first signal', phases.first_page ?? [], phases.bars ?? [], 0);
  const range = stackedChart(body, 'whole range: first signal, then the last', phases.range ?? [], phases.bars ?? [], 5);
  if (!firstPage && !range) body.append(emptyState('No phase timings: no cell completed a trial with a signal measured.'));
  return node;
}

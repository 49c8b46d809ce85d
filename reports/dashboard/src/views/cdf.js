// Latency CDFs: per cell key, the empirical distribution of the revocation
// latency of each variant's latest run (small multiples).
import { addChart } from '../charts.js';
import { el, emptyState, section } from '../dom.js';

// Right-continuous step function: (x0, 0), then each sample's rise.
export function cdfPoints(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return [];
  return [{ x: sorted[0], y: 0 }, ...sorted.map((x, i) => ({ x, y: (i + 1) / n }))];
}

export function renderCdfs(data, colourOf) {
  const { node, body } = section('cdf', 'Latency CDFs', 'Revocation latency (injection start to the last expected SIGBUS) of every trial, per cell; one line per variant, from its latest run.');
  const cdfs = (data.cdfs ?? []).filter((c) => c.series.some((s) => s.samples_ms.length > 0));
  if (cdfs.length === 0) {
    body.append(emptyState('No revocation latency was measured in any cell.'));
    return node;
  }
  const grid = el('div', { class: 'grid' });
  body.append(grid);
  for (const { key, series } of cdfs) {
    const datasets = series.filter((s) => s.samples_ms.length > 0).map((s) => ({
      label: `${s.variant} (n=${s.samples_ms.length})`,
      data: cdfPoints(s.samples_ms),
      stepped: 'after',
      borderColor: colourOf(s.variant),
      backgroundColor: colourOf(s.variant),
      borderWidth: 2,
      pointRadius: 2,
    }));
    addChart(grid, 'cdf', key, {
      type: 'line',
      data: { datasets },
      options: {
        parsing: false,
        scales: {
          x: { type: 'linear', title: { display: true, text: 'revocation latency (ms)' } },
          y: { min: 0, max: 1, title: { display: true, text: 'fraction of trials' } },
        },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      },
    }, { height: 240 });
  }
  return node;
}

// Scaling sweeps: the p50 of each sweep point against the swept value on
// log-log axes, with the least-squares power-law fit the report computed
// (its slope is the scaling exponent).
import { addChart, logTickLabel } from '../charts.js';
import { el, emptyState, formatNumber, section } from '../dom.js';

function positive(point) {
  return Number.isFinite(point.x) && Number.isFinite(point.y) && point.x > 0 && point.y > 0;
}

function fitLabel(fit) {
  if (!fit || !fit.ok) return `no fit${fit?.reason ? `: ${fit.reason}` : ''}`;
  const stderr = Number.isFinite(fit.slope_stderr) ? ` ± ${formatNumber(fit.slope_stderr, 2)}` : '';
  return `exponent ${formatNumber(fit.slope, 3)}${stderr}, r² ${formatNumber(fit.r_squared, 3)}`;
}

// The fitted line y = e^intercept * x^slope across the points' x range.
function fitLine(fit, points) {
  if (!fit || !fit.ok || points.length === 0) return [];
  const xs = points.map((p) => p.x);
  const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
  return [lo, hi].map((x) => ({ x, y: Math.exp(fit.intercept) * x ** fit.slope }));
}

export function renderSweeps(data, colourOf) {
  const { node, body } = section('sweeps', 'Scaling sweeps', 'p50 revocation latency against the swept parameter on log-log axes; dashed: the power-law fit, whose slope (the exponent) is in the legend. 1 is linear, 0 flat.');
  const sweeps = (data.sweeps ?? []).filter((s) => s.lines.some((l) => l.points.some(positive)));
  if (sweeps.length === 0) {
    body.append(emptyState('No sweep with a measured point: run a scenario with a "sweep" (e.g. scenarios/sweep-range.json).'));
    return node;
  }
  const grid = el('div', { class: 'grid' });
  body.append(grid);
  for (const sweep of sweeps) {
    const datasets = [];
    for (const line of sweep.lines) {
      const points = line.points.filter(positive);
      if (points.length === 0) continue;
      const colour = colourOf(line.variant);
      datasets.push({
        label: `${line.variant}: ${fitLabel(line.fit)}`,
        data: points.map(({ x, y }) => ({ x, y })),
        showLine: true,
        borderColor: colour,
        backgroundColor: colour,
        borderWidth: 1.5,
        pointRadius: 4,
      });
      const fitted = fitLine(line.fit, points);
      if (fitted.length)
        datasets.push({ label: `${line.variant} fit`, data: fitted, showLine: true, borderColor: colour, backgroundColor: colour, borderDash: [6, 4], borderWidth: 2, pointRadius: 0, fit: true });
    }
    addChart(grid, 'sweeps', `${sweep.series} (${sweep.parameter})`, {
      type: 'scatter',
      data: { datasets },
      options: {
        parsing: false,
        scales: {
          x: { type: 'logarithmic', ticks: { callback: logTickLabel, autoSkip: false }, title: { display: true, text: `${sweep.parameter} (log)` } },
          y: { type: 'logarithmic', ticks: { callback: logTickLabel }, title: { display: true, text: `${sweep.measure ?? 'revocation_ms_p50'} (ms, log)` } },
        },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 12, filter: (item, chartData) => !chartData.datasets[item.datasetIndex].fit } },
        },
      },
    }, { height: 280 });
  }
  return node;
}

// The A/B view: per cell key, variant B's revocation latency against A's
// (latest run of each): ratio of medians with its bootstrap 95 % interval,
// Mann-Whitney p, Benjamini-Hochberg q and the call (runner/compare's
// compare_latency, as `poisonlab compare` computes them); rows whose q is
// below alpha are marked significant.
import { addChart, logTickLabel } from '../charts.js';
import { el, emptyState, formatMs, formatNumber, section } from '../dom.js';

// The ratio and its interval from a row (compare's to_json shape).
function ratioOf(row) {
  return { ratio: row.ratio?.value ?? null, low: row.ratio?.ci95_low ?? null, high: row.ratio?.ci95_high ?? null };
}

const CALL_COLOURS = { slower: '#d62728', faster: '#2ca02c', 'no change': '#7f7f7f', 'not enough data': '#c7c7c7' };

function callClass(call) {
  return `call-${String(call).replace(/\s+/g, '-')}`;
}

function abTable(ab) {
  const head = el('tr', {}, ['cell', 'n A', 'n B', 'median A ms', 'median B ms', 'B / A', '95 % CI', 'p', 'q', 'call'].map((h) => el('th', { text: h })));
  const rows = ab.rows.map((row) => {
    const { ratio, low, high } = ratioOf(row);
    return el('tr', { class: `${callClass(row.call)}${row.significant ? ' significant' : ''}`, 'data-significant': String(row.significant) }, [
      el('th', { class: 'key mono', text: row.key }),
      el('td', { class: 'num', text: row.n_a }),
      el('td', { class: 'num', text: row.n_b }),
      el('td', { class: 'num', text: formatMs(row.median_a) }),
      el('td', { class: 'num', text: formatMs(row.median_b) }),
      el('td', { class: 'num', text: formatNumber(ratio, 3) }),
      el('td', { class: 'num', text: Number.isFinite(low) ? `[${formatNumber(low, 3)}, ${formatNumber(high, 3)}]` : '-' }),
      el('td', { class: 'num', text: formatNumber(row.p_value, 2) }),
      el('td', { class: 'num', text: formatNumber(row.q_value, 2) }),
      el('td', {}, [el('span', { class: `badge ${callClass(row.call)}`, text: row.significant ? `${row.call} *` : row.call })]),
    ]);
  });
  return el('div', { class: 'table-scroll' }, [el('table', { class: 'ab' }, [el('thead', {}, [head]), el('tbody', {}, rows)])]);
}

// A vertical line at ratio 1 (no change) over the forest plot.
const unityLine = {
  id: 'unityLine',
  afterDatasetsDraw(chart) {
    const scale = chart.scales.x;
    if (!scale || scale.min > 1 || scale.max < 1) return;
    const x = scale.getPixelForValue(1);
    const { ctx, chartArea } = chart;
    ctx.save();
    ctx.strokeStyle = '#555';
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(x, chartArea.top);
    ctx.lineTo(x, chartArea.bottom);
    ctx.stroke();
    ctx.restore();
  },
};

function forestPlot(parent, rows) {
  const shown = rows.map((r) => ({ ...r, ...ratioOf(r) })).filter((r) => Number.isFinite(r.ratio) && Number.isFinite(r.low) && Number.isFinite(r.high) && r.low > 0);
  if (shown.length === 0) return;
  const labels = shown.map((r) => r.key);
  const colours = shown.map((r) => CALL_COLOURS[r.call] ?? '#7f7f7f');
  // Symmetric around 1 on the log scale, so faster and slower look alike.
  const reach = Math.max(...shown.flatMap((r) => [Math.abs(Math.log(r.low)), Math.abs(Math.log(r.high))]), Math.log(1.25)) * 1.1;
  addChart(parent, 'ab', 'B / A: ratio of medians with its 95 % interval', {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { type: 'bar', label: '95 % interval', data: shown.map((r) => [r.low, r.high]), backgroundColor: colours.map((c) => `${c}66`), borderColor: colours, borderWidth: 1, barPercentage: 0.5 },
        { type: 'scatter', label: 'ratio', data: shown.map((r) => ({ x: r.ratio, y: r.key })), backgroundColor: colours, borderColor: colours, pointRadius: 4, pointStyle: 'rectRot' },
      ],
    },
    options: {
      indexAxis: 'y',
      scales: {
        x: { type: 'logarithmic', min: Math.exp(-reach), max: Math.exp(reach), ticks: { callback: (v) => Number(v.toPrecision(2)).toString(), maxTicksLimit: 9 }, title: { display: true, text: 'median B / median A (log); dashed: 1 = no change' } },
        y: { type: 'category', ticks: { autoSkip: false } },
      },
      plugins: { legend: { display: false } },
    },
    plugins: [unityLine],
  }, { height: 70 + 24 * shown.length, className: 'chart wide' });
}

export function renderAb(data) {
  const ab = data.ab ?? { rows: [] };
  const { node, body } = section('ab', 'A/B', ab.a && ab.b
    ? `A = ${ab.a}, B = ${ab.b}, revocation latency of the latest run of each cell. Two-sided Mann-Whitney U test, Benjamini-Hochberg q over the cells; * marks q < ${ab.options?.alpha ?? '?'} (significant). The call also needs the ratio of medians beyond ±${Math.round((ab.options?.threshold ?? 0) * 100)} %.`
    : 'Two variants compared cell by cell.');
  if (!ab.rows || ab.rows.length === 0) {
    body.append(emptyState(ab.reason ?? 'Nothing to compare.'));
    return node;
  }
  const significant = ab.rows.filter((r) => r.significant);
  const called = (call) => ab.rows.filter((r) => r.call === call).length;
  const unmatched = [['only on A', ab.only_a], ['only on B', ab.only_b]].filter(([, keys]) => keys?.length).map(([side, keys]) => `${keys.length} ${side}`);
  body.append(el('p', { class: 'legend-text', text: `${ab.rows.length} cells compared, ${significant.length} significant; called: ${called('slower')} slower, ${called('faster')} faster, ${called('no change')} no change, ${called('not enough data')} not enough data.${unmatched.length ? ` Not compared: ${unmatched.join(', ')}.` : ''}` }));
  forestPlot(body, ab.rows);
  body.append(abTable(ab));
  return node;
}

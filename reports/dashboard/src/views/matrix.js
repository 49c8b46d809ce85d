// The correctness matrix: cell key x variant, the verdict of the latest run
// of each, each cell a link to its evidence page.
import { el, emptyState, section } from '../dom.js';

const VERDICTS = ['pass', 'fail', 'error', 'skip'];

function verdictClass(verdict) {
  return VERDICTS.includes(verdict) ? verdict : 'error';
}

function matrixCell(cell) {
  if (!cell) return el('td', { class: 'verdict absent', title: 'not run', text: '' });
  const counts = cell.oracles ?? {};
  const tip = [
    `${cell.id} (run ${cell.run_id})`,
    `status: ${cell.status}`,
    `oracles: ${counts.pass ?? 0} pass, ${counts.fail ?? 0} fail, ${counts.skip ?? 0} skip`,
    cell.failed_oracles?.length ? `failed: ${cell.failed_oracles.join(', ')}` : null,
  ].filter(Boolean).join('\n');
  const label = cell.status && cell.status !== 'completed' && cell.verdict !== 'pass' ? `${cell.verdict} (${cell.status})` : cell.verdict;
  return el('td', { class: `verdict ${verdictClass(cell.verdict)}`, title: tip, 'data-verdict': cell.verdict }, [
    el('a', { href: cell.evidence_href, class: 'evidence-link', text: label }),
    el('span', { class: 'counts', text: `${counts.pass ?? 0}/${counts.fail ?? 0}/${counts.skip ?? 0}` }),
  ]);
}

export function renderMatrix(data) {
  const { node, body } = section('matrix', 'Correctness matrix', 'Verdict of the latest run of each cell on each variant; oracles pass/fail/skip below it. Click a cell for its oracles and their evidence.');
  const matrix = data.matrix ?? { keys: [], variants: [], cells: [] };
  if (matrix.keys.length === 0) {
    body.append(emptyState((data.runs ?? []).length === 0 ? 'No runs, so no cells.' : 'The runs in the history have no cells.'));
    return node;
  }
  const byKey = new Map();
  for (const cell of matrix.cells) byKey.set(`${cell.key}\u0000${cell.variant}`, cell);
  const head = el('tr', {}, [el('th', { text: 'cell' }), ...matrix.variants.map((v) => el('th', { text: v }))]);
  const rows = matrix.keys.map((key) =>
    el('tr', {}, [el('th', { class: 'key mono', text: key }), ...matrix.variants.map((v) => matrixCell(byKey.get(`${key}\u0000${v}`)))]),
  );
  const totals = VERDICTS.map((v) => `${matrix.cells.filter((c) => verdictClass(c.verdict) === v).length} ${v}`).join(', ');
  body.append(
    el('p', { class: 'legend' }, [
      ...VERDICTS.map((v) => el('span', { class: `verdict-chip ${v}`, text: v })),
      el('span', { class: 'legend-text', text: `${matrix.cells.length} cells: ${totals}` }),
    ]),
    el('div', { class: 'table-scroll' }, [el('table', { class: 'matrix' }, [el('thead', {}, [head]), el('tbody', {}, rows)])]),
  );
  return node;
}

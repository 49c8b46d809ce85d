// The runs in the history, newest first: what every other view is drawn from.
import { el, emptyState, formatDate, section } from '../dom.js';

export function renderRuns(data) {
  const { node, body } = section('runs', 'Runs', 'Every run in the history, newest first. The other views use the latest run of each cell and variant, the trends all of them.');
  const runs = [...(data.runs ?? [])].reverse();
  if (runs.length === 0) {
    body.append(emptyState('The history holds no runs yet: add a report with `poisonlab history add REPORT`.'));
    return node;
  }
  const head = el('tr', {}, ['started', 'run', 'scenario', 'variants', 'status', 'cells', 'pass', 'fail', 'error', 'report'].map((h) => el('th', { text: h })));
  const rows = runs.map((run) =>
    el('tr', { class: `run-status-${run.status ?? 'unknown'}` }, [
      el('td', { text: formatDate(run.started_at) }),
      el('td', { class: 'mono', text: run.run_id }),
      el('td', { text: run.scenario ?? '-' }),
      el('td', { text: (run.variants ?? []).join(', ') || '-' }),
      el('td', {}, [el('span', { class: `badge status-${run.status ?? 'unknown'}`, text: run.status ?? 'unfinished' })]),
      el('td', { class: 'num', text: run.cells }),
      el('td', { class: 'num', text: run.verdicts?.pass ?? 0 }),
      el('td', { class: 'num', text: run.verdicts?.fail ?? 0 }),
      el('td', { class: 'num', text: run.verdicts?.error ?? 0 }),
      el('td', {}, [run.report_href ? el('a', { href: run.report_href, text: 'report.json' }) : '-']),
    ]),
  );
  body.append(el('table', { class: 'runs' }, [el('thead', {}, [head]), el('tbody', {}, rows)]));
  return node;
}

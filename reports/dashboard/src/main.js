// The dashboard's entry point: reads the site data that data.js set
// (window.POISONLAB_DATA; fetch() does not work from file://), renders every
// view into one page with an anchor per view, and exposes the charts for
// the browser test (window.poisonlabDashboard).
import { chartRegistry, variantColours } from './charts.js';
import { el, formatDate } from './dom.js';
import { renderAb } from './views/ab.js';
import { renderCdfs } from './views/cdf.js';
import { renderMatrix } from './views/matrix.js';
import { renderPhases } from './views/phases.js';
import { renderRuns } from './views/runs.js';
import { renderSweeps } from './views/sweeps.js';
import { renderTrends } from './views/trends.js';

const SUPPORTED_SCHEMA = 1;

const VIEWS = [
  ['runs', 'Runs', renderRuns],
  ['matrix', 'Matrix', renderMatrix],
  ['cdf', 'Latency CDFs', renderCdfs],
  ['sweeps', 'Sweeps', renderSweeps],
  ['phases', 'Phases', renderPhases],
  ['trends', 'Trends', renderTrends],
  ['ab', 'A/B', renderAb],
];

function header(data) {
  const runs = data.runs ?? [];
  const latest = runs.length ? runs[runs.length - 1] : null;
  return el('header', {}, [
    el('h1', { text: 'poisonlab dashboard' }),
    el('p', { class: 'meta', text: `${runs.length} run${runs.length === 1 ? '' : 's'} · variants: ${(data.variants ?? []).join(', ') || 'none'} · latest run ${latest ? formatDate(latest.started_at) : '-'} · generated ${formatDate(data.generated_at)}` }),
    el('nav', {}, VIEWS.map(([id, title]) => el('a', { href: `#${id}`, text: title }))),
  ]);
}

// A view that throws shows the error in its place (and on the console, where
// the browser test sees it) instead of taking the other views down.
function renderView(id, title, render, data, colourOf) {
  try {
    return render(data, colourOf);
  } catch (error) {
    console.error(`dashboard view ${id} failed:`, error);
    return el('section', { id, class: 'view', 'data-view': id }, [el('h2', { text: title }), el('p', { class: 'error', text: `This view could not be drawn: ${error.message}` })]);
  }
}

function main() {
  const root = document.getElementById('app');
  const data = window.POISONLAB_DATA;
  if (!data || typeof data !== 'object') {
    root.append(el('p', { class: 'error', text: 'No site data: data.js is missing or did not load. Rebuild the site with `poisonlab dashboard --history DB --out DIR`.' }));
    console.error('dashboard: window.POISONLAB_DATA is not set');
    return;
  }
  if (data.site_schema !== SUPPORTED_SCHEMA) {
    root.append(el('p', { class: 'error', text: `Site data schema ${data.site_schema} is not the one this page reads (${SUPPORTED_SCHEMA}): rebuild the site.` }));
    console.error('dashboard: unsupported site_schema', data.site_schema);
    return;
  }
  const colourOf = variantColours(data.variants ?? []);
  root.append(header(data), ...VIEWS.map(([id, title, render]) => renderView(id, title, render, data, colourOf)));
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

main();
window.poisonlabDashboard = { views: VIEWS.map(([id]) => id), charts: chartRegistry, ready: true };

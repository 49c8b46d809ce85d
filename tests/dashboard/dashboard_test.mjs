// The dashboard end to end: fixture reports (written by the real report
// writer) -> `poisonlab history add` -> `poisonlab dashboard` -> each site
// opened from file:// in headless Chromium and checked (browser_checks.mjs),
// with a screenshot of every view.
//
//   node tests/dashboard/dashboard_test.mjs --poisonlab BIN --fixtures BIN --out DIR
//
// Three sites: three nights of an A/B sweep on two kernels; a history of a
// run with zero cells and a failed run whose cells all errored; a history
// with no run at all. Exit 0 when every check passes.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkSite, launchBrowser } from './browser_checks.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceDir = path.resolve(here, '..', '..');

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const required of ['poisonlab', 'fixtures', 'out'])
    if (!out[required]) throw new Error(`usage: dashboard_test.mjs --poisonlab BIN --fixtures BIN --out DIR (missing --${required})`);
  return out;
}

const failures = [];
function check(condition, message) {
  if (!condition) failures.push(message);
}

function run(bin, argv) {
  const result = spawnSync(bin, argv, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${bin} ${argv.join(' ')} exited ${result.status}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

function buildSite(poisonlab, db, reports, siteDir) {
  if (reports.length) run(poisonlab, ['history', 'add', '--db', db, ...reports]);
  const stdout = run(poisonlab, ['dashboard', '--history', db, '--out', siteDir]);
  console.log(stdout.trim());
  return stdout;
}

// What a command line mistake gives: the exit status and the message.
function expectRefusal(poisonlab, argv, status, text) {
  const result = spawnSync(poisonlab, argv, { encoding: 'utf8' });
  check(result.status === status, `poisonlab ${argv.join(' ')}: exit ${result.status}, expected ${status}`);
  check(result.stderr.includes(text), `poisonlab ${argv.join(' ')}: stderr lacks "${text}": ${result.stderr}`);
}

const countIn = (list, value) => list.filter((x) => x === value).length;

async function main() {
  const { poisonlab, fixtures, out } = args();
  const started = Date.now();
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const reportsDir = path.join(out, 'reports');
  execFileSync(fixtures, [reportsDir], { stdio: 'inherit' });
  const nightReports = readdirSync(reportsDir).filter((d) => d.startsWith('night-')).sort().map((d) => path.join(reportsDir, d, 'report.json'));
  const edgeReports = ['zero-cells', 'failed'].map((d) => path.join(reportsDir, d, 'report.json'));
  check(nightReports.length === 6, `expected 6 nightly fixture reports, found ${nightReports.length}`);

  // The fixtures are what a run writes: they pass the report schema.
  const validate = spawnSync(process.execPath, [path.join(sourceDir, 'reports/schema/validate.mjs'), path.join(sourceDir, 'reports/schema/report.schema.json'), ...nightReports, ...edgeReports], { encoding: 'utf8' });
  check(validate.status === 0, `fixture reports do not pass the report schema:\n${validate.stdout}${validate.stderr}`);

  const sites = {
    full: path.join(out, 'site-full'),
    edge: path.join(out, 'site-zero-cells-and-failed'),
    empty: path.join(out, 'site-no-runs'),
  };
  buildSite(poisonlab, path.join(out, 'full.sqlite'), nightReports, sites.full);
  buildSite(poisonlab, path.join(out, 'edge.sqlite'), edgeReports, sites.edge);
  buildSite(poisonlab, path.join(reportsDir, 'no-runs.sqlite'), [], sites.empty);

  expectRefusal(poisonlab, ['dashboard', '--history', path.join(out, 'full.sqlite'), '--out', path.join(out, 'x'), '--assets', path.join(out, 'no-assets')], 1, 'not built');
  expectRefusal(poisonlab, ['dashboard', '--history', path.join(out, 'full.sqlite'), '--out', path.join(out, 'x'), '--ab', 'debian-6.1,nope'], 2, "no variant 'nope'");
  expectRefusal(poisonlab, ['dashboard', '--history', path.join(out, 'full.sqlite'), '--out', reportsDir], 2, 'no dashboard');

  const screenshots = path.join(out, 'screenshots');
  const profile = mkdtempSync(path.join(os.tmpdir(), 'poisonlab-chromium-'));
  const context = await launchBrowser(profile);
  try {
    const full = await checkSite(context, sites.full, screenshots, { label: 'full' });
    failures.push(...full.failures);
    const byView = (view) => full.charts.filter((c) => c.view === view).length;
    check(byView('cdf') === 12, `full: ${byView('cdf')} CDF charts, expected one per cell key (12)`);
    check(byView('sweeps') === 4, `full: ${byView('sweeps')} sweep charts, expected 4 series`);
    check(byView('phases') === 2 && byView('ab') === 1, 'full: expected two phase charts (first page, whole range) and one A/B chart');
    check(byView('trends') === 12, `full: ${byView('trends')} trend charts, expected 12`);
    const trendPoints = full.charts.filter((c) => c.view === 'trends').flatMap((c) => c.datasets.map((d) => d.drawn));
    check(trendPoints.filter((n) => n === 3).length >= 20, `full: trends should show 3 nights per line: ${trendPoints}`);
    check(full.evidenceLinks === 24, `full: ${full.evidenceLinks} evidence links, expected 24 (12 keys x 2 variants)`);
    check(countIn(full.verdicts, 'fail') === 1 && countIn(full.verdicts, 'error') === 1 && countIn(full.verdicts, 'pass') === 22,
      `full: matrix verdicts ${JSON.stringify(full.verdicts)}`);
    check(full.emptyViews.length === 0, `full: empty views ${full.emptyViews}`);
    check(full.abRows.length === 12, `full: ${full.abRows.length} A/B rows, expected 11 compared + the errored cell's`);
    check(full.abRows.some((r) => r.significant && r.cls.includes('call-faster')), 'full: no significant faster row');
    check(full.abRows.some((r) => r.significant && r.cls.includes('call-slower')), 'full: no significant slower row');
    check(full.abRows.some((r) => !r.significant), 'full: every A/B row significant');
    const sweepLegends = full.charts.filter((c) => c.view === 'sweeps').flatMap((c) => c.datasets.map((d) => d.label));
    check(sweepLegends.some((l) => /exponent \d/.test(l)), `full: no fitted exponent in the sweep legends: ${sweepLegends}`);

    // An evidence page shows the report's text as text, markup characters included.
    const page = await context.newPage();
    await page.goto(pathToFileURL(path.join(sites.full, 'index.html')).href);
    const failHref = await page.locator('table.matrix td[data-verdict="fail"] a').getAttribute('href');
    await page.goto(pathToFileURL(path.join(sites.full, failHref)).href);
    const text = await page.locator('body').innerText();
    check(text.includes('ek-1 missed the SIGBUS for page 3 <BUS_MCEERR_AO>'), 'evidence page: failing summary not shown as text');
    await page.locator('#oracle-recovered_per_page summary').click();
    check((await page.locator('#oracle-recovered_per_page pre').innerText()).includes('<4>[   12.345678] Memory failure'), 'evidence page: kernel log line not shown as text');
    await page.screenshot({ path: path.join(screenshots, 'full-evidence-fail.png'), fullPage: true });
    await page.close();

    const edge = await checkSite(context, sites.edge, screenshots, { label: 'edge' });
    failures.push(...edge.failures);
    check(edge.charts.length === 0, `edge: ${edge.charts.length} charts drawn from errored cells`);
    check(edge.verdicts.length === 4 && edge.verdicts.every((v) => v === 'error'), `edge: matrix verdicts ${JSON.stringify(edge.verdicts)}`);
    check(edge.evidenceLinks === 4, `edge: ${edge.evidenceLinks} evidence links`);
    check(['cdf', 'sweeps', 'phases', 'trends', 'ab'].every((v) => edge.emptyViews.includes(v)), `edge: empty views ${edge.emptyViews}`);
    check(edge.runRows === 2, `edge: ${edge.runRows} runs listed, expected 2`);

    const empty = await checkSite(context, sites.empty, screenshots, { label: 'no-runs' });
    failures.push(...empty.failures);
    check(empty.charts.length === 0 && empty.emptyViews.length === 7, `no-runs: charts ${empty.charts.length}, empty views ${empty.emptyViews}`);

    console.log('screenshots:');
    for (const file of [...full.screenshots, path.join(screenshots, 'full-evidence-fail.png'), ...edge.screenshots, ...empty.screenshots]) console.log(`  ${file}`);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(`${failures.length ? 'FAILED' : 'passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const failure of failures) console.log(`  ${failure}`);
  process.exit(failures.length ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

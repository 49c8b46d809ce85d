// Opens a dashboard site from file:// in Debian's headless Chromium
// (playwright-core, installed in reports/node_modules) and checks it: no
// console or page errors, every Chart.js chart has drawn data (datasets
// with points at finite positions, and pixels of its datasets' colours in
// its drawing area), every matrix cell links to an evidence page that
// exists and loads cleanly; saves a screenshot of each view.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const reportsDir = path.resolve(here, '..', '..', 'reports');
const { chromium } = createRequire(path.join(reportsDir, 'package.json'))('playwright-core');

// The machine's network is closed: without these Chromium keeps trying
// (and failing) to reach update, sync and metrics services.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchBrowser(userDataDir) {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.POISONLAB_CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1400, height: 900 },
    offline: true,
  });
}

// Console errors, uncaught exceptions and failed loads of one page.
function watchErrors(page) {
  const errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`); });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => errors.push(`failed to load ${request.url()}: ${request.failure()?.errorText}`));
  return errors;
}

// In the page: per chart, the pixels of its drawing area whose colour is
// one of its datasets' colours (alpha ignored, small tolerance for
// anti-aliasing), and all non-transparent pixels.
function measureCharts() {
  const probe = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  const rgbOf = (colour) => {
    probe.clearRect(0, 0, 1, 1);
    probe.fillStyle = '#000';
    probe.fillStyle = colour;
    probe.fillRect(0, 0, 1, 1);
    const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
    return [r, g, b];
  };
  return window.poisonlabDashboard.charts().map((chart) => {
    const canvas = document.getElementById(chart.canvasId);
    const ratio = canvas.width / canvas.clientWidth;
    const area = chart.chartArea;
    const x = Math.max(0, Math.floor(area.left * ratio)), y = Math.max(0, Math.floor(area.top * ratio));
    const w = Math.max(1, Math.ceil((area.right - area.left) * ratio)), h = Math.max(1, Math.ceil((area.bottom - area.top) * ratio));
    const pixels = canvas.getContext('2d').getImageData(x, y, w, h).data;
    const colours = chart.datasets.filter((d) => !d.hidden).flatMap((d) => d.colours).map(rgbOf);
    let painted = 0, dataPixels = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3] === 0) continue;
      painted++;
      if (colours.some(([r, g, b]) => Math.abs(pixels[i] - r) < 40 && Math.abs(pixels[i + 1] - g) < 40 && Math.abs(pixels[i + 2] - b) < 40)) dataPixels++;
    }
    return { ...chart, painted, dataPixels };
  });
}

// Checks one site; returns {failures, charts, screenshots, counts}.
export async function checkSite(context, siteDir, screenshotDir, { label, log = () => {} }) {
  const failures = [];
  const fail = (message) => failures.push(`${label}: ${message}`);
  const page = await context.newPage();
  const errors = watchErrors(page);
  const indexUrl = pathToFileURL(path.join(siteDir, 'index.html')).href;
  await page.goto(indexUrl, { waitUntil: 'load' });
  await page.waitForFunction(() => window.poisonlabDashboard?.ready === true, null, { timeout: 15000 });

  log('loaded');
  const charts = await page.evaluate(measureCharts);
  log(`${charts.length} charts measured`);
  for (const chart of charts) {
    const name = `chart "${chart.title}" (${chart.view})`;
    if (!chart.datasets.some((d) => d.points > 0 && d.drawn > 0)) fail(`${name} has no dataset with drawn points`);
    if (chart.painted === 0) fail(`${name}: its canvas is blank`);
    if (chart.dataPixels < 4) fail(`${name}: no pixels of its datasets' colours in the drawing area (${chart.dataPixels})`);
  }

  const views = await page.evaluate(() => window.poisonlabDashboard.views);
  for (const view of views) if ((await page.locator(`section#${view}`).count()) !== 1) fail(`view ${view} missing`);

  const hrefs = await page.$$eval('table.matrix a.evidence-link', (links) => links.map((a) => a.getAttribute('href')));
  for (const href of hrefs) {
    const file = path.join(siteDir, href);
    if (!existsSync(file)) { fail(`matrix link ${href} leads nowhere`); continue; }
    const evidence = await context.newPage();
    const evidenceErrors = watchErrors(evidence);
    await evidence.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    if ((await evidence.locator('table.oracles, .no-oracles').count()) === 0) fail(`${href} shows no oracle table`);
    const reportLink = evidence.locator('a.report-link');
    const reportHref = (await reportLink.count()) ? await reportLink.first().getAttribute('href') : null;
    if (reportHref && !existsSync(path.resolve(path.dirname(file), decodeURI(reportHref)))) fail(`${href}: report link ${reportHref} leads nowhere`);
    for (const e of evidenceErrors) fail(`${href}: ${e}`);
    await evidence.close();
  }

  log(`${hrefs.length} evidence links checked`);
  // Screenshots of each view as a whole (the sticky header would cover the
  // top of a section scrolled under it).
  await mkdir(screenshotDir, { recursive: true });
  await page.addStyleTag({ content: 'header { position: static !important; }' });
  const screenshots = [];
  for (const view of views) {
    const file = path.join(screenshotDir, `${label}-${view}.png`);
    await page.locator(`section#${view}`).screenshot({ path: file });
    screenshots.push(file);
    log(`screenshot ${file}`);
  }
  const emptyViews = await page.$$eval('[data-empty="true"]', (nodes) => nodes.map((n) => n.closest('section')?.id));
  const verdicts = await page.$$eval('table.matrix td[data-verdict]', (cells) => cells.map((c) => c.dataset.verdict));
  const abRows = await page.$$eval('table.ab tbody tr', (rows) => rows.map((r) => ({ significant: r.dataset.significant === 'true', cls: r.className })));
  const runRows = await page.locator('table.runs tbody tr').count();
  for (const e of errors) fail(e);
  await page.close();
  return { failures, charts, screenshots, emptyViews, evidenceLinks: hrefs.length, verdicts, abRows, runRows };
}

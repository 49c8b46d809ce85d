// Checks a dashboard built from any history (e.g. the real runs') the way
// the test checks its fixture sites, and saves a screenshot of each view:
//   node tests/dashboard/check_site.mjs SITE_DIR SCREENSHOT_DIR
// Exit 1 when a check fails.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkSite, launchBrowser } from './browser_checks.mjs';

const [site, screenshots] = process.argv.slice(2);
if (!site || !screenshots) {
  console.error('usage: node tests/dashboard/check_site.mjs SITE_DIR SCREENSHOT_DIR');
  process.exit(2);
}
const profile = mkdtempSync(path.join(os.tmpdir(), 'poisonlab-chromium-'));
const context = await launchBrowser(profile);
try {
  const result = await checkSite(context, path.resolve(site), path.resolve(screenshots), { label: 'site' });
  console.log(`${result.charts.length} charts, ${result.evidenceLinks} evidence pages, empty views: ${result.emptyViews.join(', ') || 'none'}`);
  for (const file of result.screenshots) console.log(`  ${file}`);
  for (const failure of result.failures) console.log(`FAIL ${failure}`);
  process.exitCode = result.failures.length ? 1 : 0;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

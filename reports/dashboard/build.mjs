// Builds the dashboard's static assets into OUTDIR: index.html, styles.css
// and dashboard.js, ONE classic (IIFE) script bundling the views and
// Chart.js, because module scripts and fetch() do not work from file:// in
// Chromium. `poisonlab dashboard` copies these and adds data.js and the
// evidence pages.
//   node reports/dashboard/build.mjs OUTDIR
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: node reports/dashboard/build.mjs OUTDIR');
  process.exit(2);
}

await mkdir(outDir, { recursive: true });
await build({
  entryPoints: [path.join(here, 'src', 'main.js')],
  outfile: path.join(outDir, 'dashboard.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome100', 'firefox100'],
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  logLevel: 'warning',
});
for (const file of ['index.html', 'styles.css']) await copyFile(path.join(here, file), path.join(outDir, file));
console.log(`dashboard assets written to ${outDir}`);

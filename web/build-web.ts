/**
 * Bundles the viewer's page (web/app/) with esbuild into dist/web/public: app.js (the TypeScript
 * and the journal-format layer it verifies with), and index.html, app.css and favicon.svg copied as
 * they are. Run by `npm run build`, so `npm ci` (prepare) builds it; no CDN, nothing fetched later.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

// dist/web/build-web.js -> the repository root.
const root = join(import.meta.dirname, '..', '..');
const out = join(root, 'dist', 'web', 'public');

mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, 'web', 'app', 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'app.css', 'favicon.svg'])
  copyFileSync(join(root, 'web', 'app', file), join(out, file));

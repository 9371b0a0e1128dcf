/**
 * The viewer's page: index.html, app.js and app.css, bundled at build time (web/build-web.ts) into
 * dist/web/public and served from memory. They hold no journal data, so they are served before
 * login; everything they show comes from the API. No CDN: the page works offline.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A file of the page, ready to send. */
export interface StaticAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

const files: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/app.css': 'app.css',
  '/favicon.svg': 'favicon.svg',
};

const types: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** Where the bundle is: beside the compiled server in dist/, or dist/web/public when run from source. */
export function defaultAssetDir(): string {
  const here = import.meta.dirname;
  const compiled = join(here, '..', 'public');
  return existsSync(join(compiled, 'index.html')) ? compiled : join(here, '..', '..', 'dist', 'web', 'public');
}

/** Loads the page's files; a missing bundle is reported by path (run `npm run build`). */
export function loadAssets(dir: string): ReadonlyMap<string, StaticAsset> {
  const assets = new Map<string, StaticAsset>();
  for (const [path, name] of Object.entries(files)) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    const ext = name.slice(name.lastIndexOf('.') + 1);
    assets.set(path, { body: readFileSync(file), contentType: types[ext] ?? 'application/octet-stream' });
  }
  return assets;
}

/**
 * The Dockerfile, checked without a Docker engine (none runs on the development or CI machines):
 * the build stage builds and packs the package as npm does, and the runtime stage copies only the
 * packed dist/ and the manifests; what `npm pack` publishes holds every file the entrypoint
 * imports (and the viewer's page), and every package it imports is a production dependency (the
 * image installs with --omit=dev); the user is not root; the journal is in the volume the docs
 * name; and the image's CMD starts pgtrail. docker-compose.test.ts runs the compose services'
 * command lines. What this cannot show — that `docker build` succeeds — is said in README.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../embedded/postgres-server.js';

const root = join(import.meta.dirname, '..');

type Instruction = readonly [name: string, rest: string];

/** The Dockerfile's stages, each its instructions (continuation lines joined, comments dropped). */
function stages(): Instruction[][] {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const out: Instruction[][] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const [name = '', ...rest] = line.trim().split(/\s+/);
    if (name.toUpperCase() === 'FROM') out.push([]);
    out.at(-1)?.push([name.toUpperCase(), rest.join(' ')]);
  }
  return out;
}

const all = (stage: readonly Instruction[], name: string) => stage.filter(([n]) => n === name).map(([, r]) => r);

/** A JSON-form instruction's arguments (ENTRYPOINT, CMD, VOLUME). */
const jsonArgs = (rest: string): string[] => JSON.parse(rest) as string[];

/** The paths `npm pack` would publish, as npm itself lists them. */
function packedFiles(): Set<string> {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm pack failed: ${r.stderr}`);
  const [pack] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
  return new Set(pack!.files.map((f) => f.path));
}

/** Every relative import reached from `entry` (paths relative to the root), and every bare package imported. */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  const specifier = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(specifier)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) pending.push(normalize(join(dirname(file), spec)));
      else if (!spec.startsWith('node:') && !builtinModules.includes(spec))
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return { files, packages };
}

describe('Dockerfile', () => {
  const [build = [], runtime = [], ...more] = stages();
  const scratch = mkdtempSync(join(tmpdir(), 'pgtrail-dockerfile-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('builds and packs the package in its build stage; the runtime stage copies only the packed dist/ and the manifests', () => {
    expect(more).toEqual([]);
    expect(all(build, 'FROM')[0]).toMatch(/^node:\$\{NODE_VERSION\}-bookworm-slim AS build$/);
    expect(all(runtime, 'FROM')[0]).toMatch(/^node:\$\{NODE_VERSION\}-bookworm-slim AS runtime$/);
    const buildRun = all(build, 'RUN').join(' && ');
    // The package's own build script (tsc and the viewer's bundle), not a part of it.
    expect(buildRun).toMatch(/\bnpm run build\b/);
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.build).toContain('build-web.js');
    expect(buildRun).toMatch(/\bnpm pack --ignore-scripts\b.*tar -xzf \S+ -C \/pkg --strip-components=1/);
    // From the build stage, the runtime takes the packed dist/ and nothing else.
    const copies = all(runtime, 'COPY');
    expect(copies.filter((c) => c.startsWith('--from='))).toEqual(['--from=build /pkg/dist ./dist']);
    // From the build context, the manifests the install needs: they exist, and .dockerignore lets them through.
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    for (const c of [...copies.filter((c) => !c.startsWith('--from=')), ...all(build, 'COPY')]) {
      const sources = c.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        if (source === '.') continue;
        expect(existsSync(join(root, source)), source).toBe(true);
        expect(ignored, source).not.toContain(source);
      }
    }
    // The build stage compiles from the sources, never from a dist/ or node_modules/ of the host.
    expect(ignored).toEqual(expect.arrayContaining(['dist', 'node_modules']));
    expect(all(runtime, 'RUN').join(' ')).toMatch(/npm ci --omit=dev --omit=optional --ignore-scripts/);
  });

  it('npm pack publishes every file the entrypoint imports and the viewer page, no tests; it imports only production dependencies', () => {
    const packed = packedFiles();
    const entry = jsonArgs(all(runtime, 'ENTRYPOINT')[0]!);
    expect(entry).toEqual(['node', 'dist/bin/pgtrail.js']);
    const { files, packages } = importGraph(entry[1]!);
    expect(files.size).toBeGreaterThan(100);
    const missing = [...files].filter((f) => !packed.has(f));
    expect(missing).toEqual([]);
    for (const page of ['index.html', 'app.js', 'app.css', 'favicon.svg'])
      expect(packed.has(`dist/web/public/${page}`), page).toBe(true);
    const dist = [...packed].filter((p) => p.startsWith('dist/'));
    expect(dist.filter((p) => /\.test\.|^dist\/(test|bench)\/|\/testing\//.test(p))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect([...packages].filter((p) => !(p in manifest.dependencies))).toEqual([]);
  });

  it('runs as a non-root user, keeps the journal in the volume the docs name, and its CMD starts pgtrail', async () => {
    const users = all(runtime, 'USER');
    expect(users).toEqual(['node']);
    const [volume, ...otherVolumes] = jsonArgs(all(runtime, 'VOLUME')[0]!);
    expect(otherVolumes).toEqual([]);
    expect(volume).toBe('/var/lib/pgtrail');
    // The unprivileged user owns the volume's mount point (created before USER).
    expect(all(runtime, 'RUN').join(' ')).toContain(`chown node:node ${volume}`);
    const cmd = jsonArgs(all(runtime, 'CMD')[0]!);
    const journal = cmd[cmd.indexOf('--journal') + 1]!;
    expect(journal.startsWith(`${volume}/`)).toBe(true);
    // README, docs/retention.md and docker-compose.yml name the same journal path.
    for (const doc of ['README.md', 'docs/retention.md', 'docker-compose.yml'])
      expect(readFileSync(join(root, doc), 'utf8'), doc).toContain(journal);

    // The CMD's own flags, with the address and the journal swapped for this machine's.
    expect(cmd[0]).toBe('start');
    const port = await freePort();
    const args = cmd.map((a, i) =>
      cmd[i - 1] === '--listen' ? `127.0.0.1:${port}` : cmd[i - 1] === '--journal' ? join(scratch, 'journal') : a,
    );
    const child = spawn(process.execPath, [join(root, entry()), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 1500 && !out.includes('listening on') && child.exitCode === null; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(out).toContain(`listening on 127.0.0.1:${port}`);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, out).toBe(0);
  });

  function entry(): string {
    return jsonArgs(all(runtime, 'ENTRYPOINT')[0]!)[1]!;
  }
});

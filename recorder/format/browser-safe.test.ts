// The journal-format layer (recorder/format/) and the verifier walk (recorder/verify/) run in a browser:
// they import only each other and @noble, never node: modules, Buffer or process. The writer, the
// scanner and the Node commands import them; nothing in these two folders imports back.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const recorderDir = join(import.meta.dirname, '..');
const browserSafe = ['format', 'verify'];

test.each(browserSafe)(
  'recorder/%s/ imports nothing from Node or from outside the browser-safe folders',
  async (folder) => {
    const dir = join(recorderDir, folder);
    const sources = (await readdir(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(sources.length).toBeGreaterThan(2);
    for (const file of sources) {
      const text = await readFile(join(dir, file), 'utf8');
      const specifiers = [...text.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
      for (const spec of specifiers) {
        const inside = spec.startsWith('./') || browserSafe.some((other) => spec.startsWith(`../${other}/`));
        expect(inside || spec.startsWith('@noble/'), `${folder}/${file} imports ${spec}`).toBe(true);
      }
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      expect(code, file).not.toMatch(/\bBuffer\b|\bprocess\./);
    }
  },
);

// The bundle check (verify --bundle) is one of the modules checked above: the viewer runs it as it is.
test('the evidence-bundle check is a browser-safe module of recorder/verify/', async () => {
  expect(await readdir(join(recorderDir, 'verify'))).toContain('bundle-check.ts');
});

// "No loops, nothing pointing back up" (STYLE.md), type-only imports included: a loop would mean two
// files that can only be read together.
test('recorder/format/ and recorder/verify/ import each other without a loop', async () => {
  const graph = new Map<string, string[]>();
  for (const folder of browserSafe) {
    const dir = join(recorderDir, folder);
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const text = await readFile(join(dir, file), 'utf8');
      const targets = [...text.matchAll(/^import[^'"]*['"](\.[^'"]+)['"]/gm)].map((m) =>
        join(dir, m[1]!).replace(/\.js$/, '.ts'),
      );
      graph.set(join(dir, file), targets);
    }
  }
  const done = new Set<string>();
  const loopFrom = (file: string, path: readonly string[]): string[] | null => {
    if (path.includes(file)) return [...path.slice(path.indexOf(file)), file];
    if (done.has(file)) return null;
    for (const next of graph.get(file) ?? []) {
      const loop = loopFrom(next, [...path, file]);
      if (loop !== null) return loop;
    }
    done.add(file);
    return null;
  };
  for (const file of graph.keys()) {
    const loop = loopFrom(file, []);
    expect(loop?.map((f) => f.slice(recorderDir.length + 1)).join(' -> ') ?? null).toBeNull();
  }
});

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

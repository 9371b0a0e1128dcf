// The verifier core runs in a browser and shares no code with the writer: it imports only itself and @noble.
import { readdir, readFile } from 'node:fs/promises';
import { expect, test } from 'vitest';

test('recorder/verify/ imports nothing from Node or from outside itself', async () => {
  const dir = import.meta.dirname;
  const sources = (await readdir(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  expect(sources.length).toBeGreaterThan(8);
  for (const file of sources) {
    const text = await readFile(`${dir}/${file}`, 'utf8');
    const specifiers = [...text.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
    for (const spec of specifiers) {
      expect(spec.startsWith('./') || spec.startsWith('@noble/'), `${file} imports ${spec}`).toBe(true);
    }
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    expect(code, file).not.toMatch(/\bBuffer\b|\bprocess\./);
  }
});

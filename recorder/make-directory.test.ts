import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDirectory, makeDirectorySync } from './make-directory.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'pgtrail-mkdir-'));
  dirs.push(d);
  return d;
};

describe.each([
  ['makeDirectory', (path: string, mode?: number) => makeDirectory(path, mode)],
  ['makeDirectorySync', async (path: string, mode?: number) => makeDirectorySync(path, mode)],
] as const)('%s', (_name, make) => {
  it('makes missing parents with the mode, and accepts a directory that exists', async () => {
    const base = scratch();
    const deep = join(base, 'a', 'b', 'c');
    await make(deep, 0o700);
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(statSync(join(base, 'a')).mode & 0o777).toBe(0o700);
    await make(deep, 0o700);
  });

  it('fails at once with mkdir ENOENT for a directory /proc cannot hold (Node recursive mkdir spins there)', async () => {
    await expect(make('/proc/pgtrail-no-such-dir/journal')).rejects.toMatchObject({
      code: 'ENOENT',
      syscall: 'mkdir',
      path: '/proc/pgtrail-no-such-dir',
    });
  });

  it('fails with ENOTDIR when a file is in the way', async () => {
    const base = scratch();
    writeFileSync(join(base, 'file'), 'x');
    await expect(make(join(base, 'file', 'journal'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(make(join(base, 'file'))).rejects.toMatchObject({ code: 'ENOTDIR', path: join(base, 'file') });
  });
});

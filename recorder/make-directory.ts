/**
 * Creates a directory and its missing parents, one mkdir at a time. Node's own `mkdir(path,
 * { recursive: true })` never returns for some paths: in /proc (`/proc/nope`) mkdir answers ENOENT
 * although the parent exists, and Node retries for ever, spinning a thread (and, in mkdirSync, the
 * whole process, deaf to SIGTERM). Here each missing level is made once and the first failure is
 * thrown as the system error it is (code, syscall mkdir, path), so a caller can say which
 * directory could not be made.
 */
import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Makes `path` (and missing parents) with `mode`; resolves when it is a directory. */
export async function makeDirectory(path: string, mode = 0o777): Promise<void> {
  const missing: string[] = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    const kind = await stat(p).then(
      (s) => (s.isDirectory() ? 'directory' : 'other'),
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return 'missing';
        throw err;
      },
    );
    if (kind === 'directory') break;
    if (kind === 'other') throw notADirectory(p);
    missing.push(p);
    if (dirname(p) === p) break;
  }
  for (const dir of missing.reverse()) {
    try {
      await mkdir(dir, { mode });
    } catch (err) {
      // Made meanwhile by someone else: fine if it is a directory now.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !(await stat(dir)).isDirectory()) throw err;
    }
  }
}

/** makeDirectory for synchronous callers. */
export function makeDirectorySync(path: string, mode = 0o777): void {
  const missing: string[] = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(p).isDirectory();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.push(p);
      if (dirname(p) === p) break;
      continue;
    }
    if (isDirectory) break;
    throw notADirectory(p);
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir, { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(dir).isDirectory()) throw err;
    }
  }
}

function notADirectory(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}'`), {
    code: 'ENOTDIR',
    errno: -20,
    syscall: 'mkdir',
    path,
  });
}

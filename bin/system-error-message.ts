/**
 * Failed file-system calls in words. Node's own messages (`ENOTDIR: not a directory, stat
 * '/x/signing-key'`) name the syscall and the path it was given, not the path at fault; this names
 * the path a person has to fix.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';

/** What a failed system call says about itself (NodeJS.ErrnoException, narrowed). */
interface SystemError {
  readonly code: string;
  readonly path: string | null;
  readonly syscall: string | null;
}

/** The error as a system call's failure, or null when it is not one. */
function asSystemError(err: unknown): SystemError | null {
  if (!(err instanceof Error)) return null;
  const { code, path, syscall } = err as { code?: unknown; path?: unknown; syscall?: unknown };
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code) || typeof syscall !== 'string') return null;
  return { code, path: typeof path === 'string' ? path : null, syscall };
}

/** The nearest ancestor of `path` that exists as something other than a directory, or null. */
function fileInTheWay(path: string): string | null {
  for (let p = dirname(path); p !== dirname(p); p = dirname(p)) {
    try {
      return statSync(p).isDirectory() ? null : p;
    } catch {
      // Does not exist: look further up.
    }
  }
  return null;
}

/**
 * One lowercase sentence for a failed system call, ending in its code (`[ENOTDIR]`), or null when
 * `err` is not a system call's failure.
 */
export function describeSystemError(err: unknown): string | null {
  const e = asSystemError(err);
  if (e === null) return null;
  const path = e.path ?? '(no path)';
  switch (e.code) {
    case 'ENOTDIR': {
      const file = fileInTheWay(path);
      return file === null
        ? `${path} is not a directory [ENOTDIR]`
        : `${file} is a file, not a directory (needed for ${path}) [ENOTDIR]`;
    }
    case 'EEXIST':
      return `${path} already exists${e.syscall === 'mkdir' ? ' and is not a directory' : ''} [EEXIST]`;
    case 'ENOENT':
      // mkdir's ENOENT: the parent exists but takes no new directory (a path in /proc, say).
      return e.syscall === 'mkdir' ? `cannot create directory ${path} [ENOENT]` : `${path} does not exist [ENOENT]`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied: ${path} [${e.code}]`;
    case 'EISDIR':
      return `${path} is a directory, not a file [EISDIR]`;
    case 'ENOSPC':
      return `no space left on the device of ${path} [ENOSPC]`;
    case 'EROFS':
      return `${path} is on a read-only file system [EROFS]`;
    default:
      return `${e.syscall} ${path} failed [${e.code}]`;
  }
}

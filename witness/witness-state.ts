/**
 * What the witness remembers per log: the size and root of the latest checkpoint it cosigned, kept
 * durably in `<state>/logs/<hex SHA-256 of the origin>.json` as `{"origin","size","root"}`. A new
 * state replaces the old one atomically (write a temporary file, fsync, rename, fsync the
 * directory) before the cosignature is returned, and checks and updates of one origin run one at a
 * time, so two requests can never both pass the check against the same old size (the rollback race
 * C2SP tlog-witness describes).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeBase64, encodeBase64 } from '../recorder/format/base64.js';
import { hashSize } from '../recorder/format/merkle.js';
import { replaceFileDurably } from '../recorder/replace-file.js';
import { WitnessError, WitnessErrorCode } from './witness-error.js';

/** The latest cosigned tree of one log. */
export interface LogState {
  readonly size: number;
  readonly root: Uint8Array;
}

/** Per-origin state on disk, with one-at-a-time updates per origin. */
export class WitnessState {
  readonly #dir: string;
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(stateDir: string) {
    this.#dir = join(stateDir, 'logs');
  }

  /** Creates the state directory. */
  async open(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
  }

  /**
   * Runs `step` with the origin's current state (null: never cosigned) while no other step of that
   * origin runs; when it returns a new state, that state is durable before this resolves.
   */
  update<T>(
    origin: string,
    step: (current: LogState | null) => Promise<{ next: LogState | null; result: T }>,
  ): Promise<T> {
    const previous = this.#queues.get(origin) ?? Promise.resolve();
    const run = previous.then(async () => {
      const { next, result } = await step(await this.read(origin));
      if (next !== null) await this.#write(origin, next);
      return result;
    });
    const settled = run.catch(() => undefined);
    this.#queues.set(origin, settled);
    void settled.then(() => {
      if (this.#queues.get(origin) === settled) this.#queues.delete(origin);
    });
    return run;
  }

  /** The origin's state, or null when the witness never cosigned for it. */
  async read(origin: string): Promise<LogState | null> {
    let text: string;
    try {
      text = await readFile(this.#path(origin), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const bad = () => new WitnessError(WitnessErrorCode.stateMalformed, 'a witness state file is not one it wrote');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new WitnessError(WitnessErrorCode.stateMalformed, 'a witness state file is not JSON', { cause: err });
    }
    const state = parsed as { origin?: unknown; size?: unknown; root?: unknown } | null;
    if (state?.origin !== origin || typeof state.size !== 'number' || !Number.isSafeInteger(state.size)) throw bad();
    const root = typeof state.root === 'string' ? decodeBase64(state.root) : null;
    if (root === null || root.length !== hashSize || state.size < 0) throw bad();
    return { size: state.size, root };
  }

  #path(origin: string): string {
    return join(this.#dir, `${createHash('sha256').update(origin, 'utf8').digest('hex')}.json`);
  }

  async #write(origin: string, state: LogState): Promise<void> {
    await replaceFileDurably(
      this.#path(origin),
      `${JSON.stringify({ origin, size: state.size, root: encodeBase64(state.root) })}\n`,
    );
  }
}

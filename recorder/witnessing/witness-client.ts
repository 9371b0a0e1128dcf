/**
 * The writer's side of C2SP tlog-witness: every durable checkpoint goes to each witness in
 * journal.witnesses with a consistency proof from the size that witness last cosigned, and each
 * cosignature that verifies under the witness's pinned key is handed back to the writer (which
 * records it and merges it into the `checkpoint` file). Nothing here ever delays recording: each
 * witness has its own loop that sends the newest checkpoint it has not cosigned, retries a witness
 * that is down or failing with backoff (1 s doubling to 60 s), and learns the witness's own size from
 * a 409 to catch up from there.
 *
 * An alarm is a witness holding a tree this journal cannot prove it extends: a 409 naming a size
 * larger than the journal, or a 422 for our proof from the size the witness named. Either means the
 * journal was rolled back or rewritten after the witness cosigned it (or the witness is faulty). It
 * is logged at error level, counted and recorded once per witness and size; the loop keeps trying.
 */
import { parseCheckpoint } from '../format/checkpoint.js';
import { encodeBase64 } from '../format/base64.js';
import { parseCosignerKey, verifiedCosignatures, type CosignerKey } from '../format/cosignature.js';
import { parseNoteUnverified } from '../format/note.js';
import { readJournalLeaves } from '../journal-leaves.js';
import { nodeSha256 } from '../node-sha256.js';
import { consistencyPath, leafStoreRoots } from '../tree-prover.js';
import type { RightEdgeTree } from './right-edge-tree.js';

/** One configured witness. */
export interface WitnessEndpoint {
  readonly url: string;
  readonly vkey: string;
}

/** Counters of one witness, for logs and metrics; they only grow (except `size`). */
export interface WitnessStats {
  readonly vkey: string;
  /** The size this witness last cosigned, as far as we know (null: not yet known). */
  readonly size: number | null;
  readonly requests: number;
  readonly cosigned: number;
  /** 409 answers (the witness had another size; normal after a restart). */
  readonly conflicts: number;
  /** Requests that failed: network errors, timeouts, 4xx/5xx other than 409, bad cosignatures. */
  readonly failures: number;
  readonly alarms: number;
}

/** What a witness alarm says (also the body of a `witness.alarm` record). */
export interface WitnessAlarm {
  readonly witness: string;
  /** The size the witness holds. */
  readonly size: number;
  readonly status: number;
  readonly reason: string;
}

/** Where cosignatures and alarms go, and the operational log. */
export interface WitnessHooks {
  cosigned(size: number, line: string): void;
  alarm(alarm: WitnessAlarm): void;
  readonly log: {
    info(data: object, message: string): void;
    warn(data: object, message: string): void;
    error(data: object, message: string): void;
  };
}

const requestTimeoutMs = 10_000;
const minBackoffMs = 1000;
const maxBackoffMs = 60_000;
const maxAnswerBytes = 64 * 1024;

interface Target {
  readonly note: string;
  readonly body: string;
  readonly size: number;
}

interface Peer {
  readonly url: string;
  readonly key: CosignerKey;
  stats: { -readonly [K in keyof WitnessStats]: WitnessStats[K] };
  latest: Target | null;
  running: boolean;
  backoffMs: number;
  timer: NodeJS.Timeout | null;
  alarmedAt: number | null;
}

type Outcome = 'done' | 'again' | 'backoff';

/** See the module comment. */
export class WitnessClient {
  readonly #peers: Peer[];
  #closed = false;

  constructor(
    private readonly dir: string,
    witnesses: readonly WitnessEndpoint[],
    private readonly tree: RightEdgeTree,
    private readonly hooks: WitnessHooks,
  ) {
    this.#peers = witnesses.map((w) => {
      const key = parseCosignerKey(w.vkey, nodeSha256);
      const stats = { vkey: w.vkey, size: null, requests: 0, cosigned: 0, conflicts: 0, failures: 0, alarms: 0 };
      const url = `${w.url.replace(/\/+$/, '')}/add-checkpoint`;
      return { url, key, stats, latest: null, running: false, backoffMs: minBackoffMs, timer: null, alarmedAt: null };
    });
  }

  /** Each witness's counters (a snapshot). */
  get stats(): readonly WitnessStats[] {
    return this.#peers.map((p) => ({ ...p.stats }));
  }

  /** A durable checkpoint to send; the newest one replaces any not yet sent. */
  submit(note: string): void {
    if (this.#closed) return;
    const body = parseNoteUnverified(note).text;
    const target = { note, body, size: parseCheckpoint(body).size };
    for (const peer of this.#peers) {
      peer.latest = target;
      // A witness waiting out its backoff keeps waiting; the newest checkpoint goes when it wakes.
      if (!peer.running && peer.timer === null) this.#start(peer);
    }
  }

  /** Stops every loop (a request in flight is let finish, its answer ignored). */
  close(): void {
    this.#closed = true;
    for (const peer of this.#peers) if (peer.timer !== null) clearTimeout(peer.timer);
  }

  #start(peer: Peer): void {
    peer.timer = null;
    peer.running = true;
    this.#loop(peer).finally(() => {
      peer.running = false;
    });
  }

  async #loop(peer: Peer): Promise<void> {
    for (let rounds = 0; !this.#closed && peer.latest !== null; rounds++) {
      const outcome = await this.#exchange(peer, peer.latest).catch((err: unknown) => {
        peer.stats.failures++;
        this.hooks.log.warn({ witness: peer.key.name, err: String(err) }, 'witness unreachable');
        return 'backoff' as const;
      });
      if (this.#closed) return;
      if (outcome === 'done') {
        peer.backoffMs = minBackoffMs;
        if (peer.latest !== null && peer.stats.size === peer.latest.size) peer.latest = null;
      } else if (outcome === 'backoff' || rounds >= 3) {
        peer.timer = setTimeout(() => this.#start(peer), peer.backoffMs);
        peer.timer.unref();
        peer.backoffMs = Math.min(peer.backoffMs * 2, maxBackoffMs);
        return;
      }
    }
  }

  /** One add-checkpoint request and what it teaches us. */
  async #exchange(peer: Peer, target: Target): Promise<Outcome> {
    const old = peer.stats.size ?? 0;
    if (old === target.size) return 'done';
    if (old > target.size) return this.#alarm(peer, old, 409, 'the witness holds a larger tree than this journal');
    const proof = old === 0 ? [] : await this.#proof(old, target.size);
    const request = `old ${old}\n${proof.map((h) => `${encodeBase64(h)}\n`).join('')}\n${target.note}`;
    peer.stats.requests++;
    const response = await fetch(peer.url, {
      method: 'POST',
      body: request,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
    const text = (await response.text()).slice(0, maxAnswerBytes);
    if (response.status === 200) {
      const [found] = verifiedCosignatures(target.note + text, [peer.key]);
      if (found === undefined) {
        peer.stats.failures++;
        this.hooks.log.error(
          { witness: peer.key.name, size: target.size },
          'witness answered without a valid cosignature',
        );
        return 'backoff';
      }
      peer.stats.size = target.size;
      peer.stats.cosigned++;
      peer.alarmedAt = null;
      this.#advanceBase();
      this.hooks.cosigned(target.size, found.line);
      return 'done';
    }
    if (response.status === 409) {
      peer.stats.conflicts++;
      const m = /^(0|[1-9][0-9]{0,15})\n$/.exec(text);
      const size = m === null ? null : Number(m[1]);
      if (size === null || size === old) {
        peer.stats.failures++;
        return 'backoff';
      }
      peer.stats.size = size;
      if (size > target.size) return this.#alarm(peer, size, 409, 'the witness holds a larger tree than this journal');
      return 'again';
    }
    if (response.status === 422 && old > 0)
      return this.#alarm(peer, old, 422, 'the witness refused our consistency proof from its size');
    peer.stats.failures++;
    this.hooks.log.warn({ witness: peer.key.name, status: response.status }, 'witness refused the checkpoint');
    return 'backoff';
  }

  #alarm(peer: Peer, size: number, status: number, reason: string): Outcome {
    if (peer.alarmedAt !== size) {
      peer.alarmedAt = size;
      peer.stats.alarms++;
      this.hooks.log.error(
        { witness: peer.key.name, size, status },
        'witness alarm: journal does not extend what the witness cosigned',
      );
      this.hooks.alarm({ witness: peer.key.text, size, status, reason });
    }
    // Forget the size: the next round asks again from 0 and learns the witness's size anew.
    peer.stats.size = null;
    return 'backoff';
  }

  /** The consistency proof from `old` to `size`: from memory, or from the journal on disk when old is older than memory. */
  async #proof(old: number, size: number): Promise<Uint8Array[]> {
    if (old >= this.tree.base && size <= this.tree.size) return consistencyPath(this.tree.rootOf, old, size);
    const leaves = await readJournalLeaves(this.dir);
    if (leaves.size < size) throw new RangeError('the checkpoint is not on disk');
    return consistencyPath(leafStoreRoots(nodeSha256, leaves.hashes), old, size);
  }

  /** Lets the tree forget what no witness needs: everything below the smallest size one cosigned. */
  #advanceBase(): void {
    // A witness whose size is not known yet is brought up from the journal on disk when it answers.
    const sizes = this.#peers.map((p) => p.stats.size).filter((s): s is number => s !== null);
    if (sizes.length > 0) this.tree.advance(Math.min(...sizes, this.tree.size));
  }
}

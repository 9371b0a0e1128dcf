/**
 * Batched durability's one record per statement (docs/journal-format.md §14, format 4). The writer
 * hands every event to `offer` instead of queueing it: a statement.started is held back, and when
 * its statement.finished comes before the next batch starts, the two are queued as one `statement`
 * record (statement-record.ts). That halves what recording costs per statement (JSON, envelope, two
 * SHA-256 hashes, session chain members, bytes written); measured in bench/statement-record-cpu.ts.
 *
 * Order: a session's records stay in the order its events were emitted. At most one start is held
 * per session; any other event of that session queues the held start first (a second start, a
 * cancel, a role change, the close), so nothing is merged across another record of its session.
 * Starts still held when a batch starts are queued by `release` as plain statement.started records,
 * in the order they were emitted, so a long statement's start is durable within the batch window as
 * before. Strict durability never holds: its start must be durable before the statement is forwarded.
 */
import type { JournalEvent, StatementStarted, TrailEvent } from './events.js';
import { combineStatement } from './statement-record.js';

/** Where a merger's output goes: the writer's queue. */
export type QueueEvent = (event: JournalEvent) => void;

/** Holds statement.started events back to merge them with their finish (see the module comment). */
export class StatementMerger {
  // Held starts by session; a Map iterates in insertion order, which is the order they were emitted.
  readonly #held = new Map<string, StatementStarted>();

  constructor(private readonly queue: QueueEvent) {}

  /** How many starts are held. */
  get held(): number {
    return this.#held.size;
  }

  /** Takes one event: holds it, merges it with the start it finishes, or queues it (after its session's held start). */
  offer(event: TrailEvent): void {
    const held = this.#held.get(event.session);
    if (held !== undefined) {
      this.#held.delete(event.session);
      if (event.type === 'statement.finished' && event.statement === held.statement) {
        this.queue(combineStatement(held, event));
        return;
      }
      this.queue(held);
    }
    if (event.type === 'statement.started') this.#held.set(event.session, event);
    else this.queue(event);
  }

  /** Queues every held start as a plain statement.started, in the order they were emitted. */
  release(): void {
    if (this.#held.size === 0) return;
    for (const started of this.#held.values()) this.queue(started);
    this.#held.clear();
  }
}

/**
 * Maps the BackendKeyData pgtrail gave each client to the session it belongs to. A client's key is
 * (the upstream backend's pid, a random secret of pgtrail's): the pid stays true so that clients
 * which compare it (NotificationResponse senders, psql's messages) see the real one, while the
 * upstream secret never leaves pgtrail.
 */
import { randomInt } from 'node:crypto';
import type { Peer } from '../recorder/events.js';

/** A session that can be cancelled. */
export interface CancelTarget {
  /** Called when a client sent the session's key in a CancelRequest. */
  cancel(from: Peer): void;
}

/** The registry of live sessions' cancel keys. */
export class CancelRegistry {
  private readonly targets = new Map<string, CancelTarget>();

  /** Registers a session by its upstream pid; returns the secret to give the client. */
  register(pid: number, target: CancelTarget): number {
    for (;;) {
      const secret = randomInt(1, 2 ** 31 - 1);
      const key = keyOf(pid, secret);
      if (!this.targets.has(key)) {
        this.targets.set(key, target);
        return secret;
      }
    }
  }

  /** Forgets a session's key. */
  unregister(pid: number, secret: number): void {
    this.targets.delete(keyOf(pid, secret));
  }

  /** The session a CancelRequest names, or undefined (a wrong key is ignored, as PostgreSQL does). */
  find(pid: number, secret: Buffer): CancelTarget | undefined {
    if (secret.length !== 4) return undefined;
    return this.targets.get(keyOf(pid, secret.readInt32BE(0)));
  }
}

function keyOf(pid: number, secret: number): string {
  return `${pid}:${secret}`;
}

/**
 * Records refused startups as session.auth_failed, within a rate bound: those pgtrail refused
 * before authentication could decide (a malformed startup packet, an unsupported protocol version,
 * plaintext where TLS is required, a startup that timed out, one cut short by shutdown) and failed
 * authentications (a wrong password, 28P01). Anyone who can reach the port can send bad packets or
 * guess passwords: without a bound, a flood would grow the journal as fast as the network allows. A token bucket lets `burst` records through at once and `perSecond` a second
 * after that; the refusals it holds back are counted by SQLSTATE and written as one summary record
 * a second later, so the journal still says that a flood happened, how big, and of what.
 */
import type { EventSink, Peer, SessionAuthFailed } from '../recorder/events.js';
import { newSessionId } from './session-id.js';

/** The bound: records let through at once, and a second after that (docs/proxy.md). */
export const STARTUP_REFUSAL_BOUND = { burst: 20, perSecond: 10 } as const;

/** One refused startup, as the session saw it. */
export interface StartupRefusal {
  readonly session: string;
  readonly client: Peer;
  /** From the StartupMessage when it was read, else ''. */
  readonly user: string;
  readonly database: string;
  readonly application: string;
  readonly method: SessionAuthFailed['method'];
  /** The SQLSTATE the client was sent, and why. */
  readonly code: string;
  readonly reason: string;
}

/** The rate-bounded recorder of refused startups shared by every session of a proxy. */
export class StartupRefusals {
  private tokens: number = STARTUP_REFUSAL_BOUND.burst;
  private refilledAt = Date.now();
  private readonly heldBack = new Map<string, number>();
  private summaryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly sink: EventSink,
    private readonly instance: () => string,
  ) {}

  /** Records the refusal, or counts it for the next summary when the bound is reached. */
  record(refusal: StartupRefusal): void {
    if (!this.take()) {
      this.heldBack.set(refusal.code, (this.heldBack.get(refusal.code) ?? 0) + 1);
      this.summaryTimer ??= setTimeout(() => this.summarise(refusal.client), 1_000).unref();
      return;
    }
    this.write({ ts: Date.now(), ...refusal });
  }

  /** Writes the summary now, if refusals were held back (at shutdown, so that none goes unsaid). */
  flush(): void {
    if (this.summaryTimer !== null) clearTimeout(this.summaryTimer);
    if (this.heldBack.size > 0) this.summarise(null);
  }

  private take(): boolean {
    const now = Date.now();
    const { burst, perSecond } = STARTUP_REFUSAL_BOUND;
    this.tokens = Math.min(burst, this.tokens + ((now - this.refilledAt) / 1000) * perSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /** One record for every refusal held back since the last summary: counts by SQLSTATE, most first. */
  private summarise(lastClient: Peer | null): void {
    this.summaryTimer = null;
    const counts = [...this.heldBack].sort((a, b) => b[1] - a[1]);
    this.heldBack.clear();
    const top = counts[0];
    if (top === undefined) return;
    const total = counts.reduce((n, [, c]) => n + c, 0);
    const { burst, perSecond } = STARTUP_REFUSAL_BOUND;
    this.write({
      ts: Date.now(),
      session: newSessionId(),
      client: lastClient ?? { address: '', port: 0 },
      user: '',
      database: '',
      application: '',
      method: null,
      code: top[0],
      reason: `${total} more refused startups not recorded one by one (at most ${burst} at once, then ${perSecond} a second): ${counts.map(([code, n]) => `${code} x${n}`).join(', ')}`,
    });
  }

  private write(r: StartupRefusal & { readonly ts: number }): void {
    try {
      void this.sink
        .record({
          type: 'session.auth_failed',
          ts: r.ts,
          session: r.session,
          user: r.user,
          database: r.database,
          client: r.client,
          application: r.application,
          code: r.code,
          reason: r.reason,
          method: r.method,
          instance: this.instance(),
        })
        ?.catch(() => {});
    } catch {
      // A refusal that cannot be recorded changes nothing for the connection, already refused.
    }
  }
}

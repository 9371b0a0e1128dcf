/**
 * Limits failed authentication attempts per source address: after `maxFailures` failures within a
 * window of `windowMs`, the address is refused until that window ends. Memory is bounded: at most
 * MAX_TRACKED_ADDRESSES windows are kept, the oldest forgotten first.
 */

/** The most addresses tracked at once (about 100 bytes each). */
export const MAX_TRACKED_ADDRESSES = 100_000;

interface Window {
  readonly startMs: number;
  failures: number;
}

/** Counts failures per address in fixed windows. */
export class FailureRateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
  ) {}

  /** True when `address` has used up its failures in the current window. */
  isBlocked(address: string, nowMs: number): boolean {
    const w = this.current(address, nowMs);
    return w !== null && w.failures >= this.maxFailures;
  }

  /** Counts one failed attempt from `address`. */
  recordFailure(address: string, nowMs: number): void {
    const w = this.current(address, nowMs);
    if (w) {
      w.failures++;
      return;
    }
    if (this.windows.size >= MAX_TRACKED_ADDRESSES) this.evict(nowMs);
    this.windows.set(address, { startMs: nowMs, failures: 1 });
  }

  /** How many addresses are tracked (for tests and metrics). */
  get trackedAddresses(): number {
    return this.windows.size;
  }

  private current(address: string, nowMs: number): Window | null {
    const w = this.windows.get(address);
    if (!w) return null;
    if (nowMs - w.startMs < this.windowMs) return w;
    this.windows.delete(address);
    return null;
  }

  /** Drops expired windows; if none expired, the oldest (Map order is insertion order). */
  private evict(nowMs: number): void {
    for (const [address, w] of this.windows) if (nowMs - w.startMs >= this.windowMs) this.windows.delete(address);
    if (this.windows.size >= MAX_TRACKED_ADDRESSES) {
      const oldest = this.windows.keys().next();
      if (!oldest.done) this.windows.delete(oldest.value);
    }
  }
}

/**
 * How long to wait before showing the next event when replaying at `speed` times real time
 * (speed null: no waiting, everything at once). Gaps are capped so that a session idle for hours
 * does not stall a replay for hours: the cap is stated in replay's usage.
 */
export function paceDelayMs(previousMs: number, nextMs: number, speed: number | null, maxGapMs = 10_000): number {
  if (speed === null) return 0;
  return Math.min(maxGapMs, Math.max(0, nextMs - previousMs) / speed);
}

/** Waits for `ms` milliseconds (no timer for 0). */
export function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

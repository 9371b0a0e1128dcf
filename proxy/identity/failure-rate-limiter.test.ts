import { describe, expect, it } from 'vitest';
import { FailureRateLimiter } from './failure-rate-limiter.js';

describe('FailureRateLimiter', () => {
  it('blocks an address after maxFailures within the window, and only that address, until the window ends', () => {
    const limiter = new FailureRateLimiter(3, 1000);
    for (let i = 0; i < 3; i++) {
      expect(limiter.isBlocked('10.0.0.1', 100)).toBe(false);
      limiter.recordFailure('10.0.0.1', 100 + i);
    }
    expect(limiter.isBlocked('10.0.0.1', 500)).toBe(true);
    expect(limiter.isBlocked('10.0.0.2', 500)).toBe(false);
    expect(limiter.isBlocked('10.0.0.1', 1100)).toBe(false);
    expect(limiter.trackedAddresses).toBe(0);
  });
});

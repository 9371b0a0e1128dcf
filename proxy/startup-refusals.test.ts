import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SessionAuthFailed, TrailEvent } from '../recorder/events.js';
import { STARTUP_REFUSAL_BOUND, StartupRefusals, type StartupRefusal } from './startup-refusals.js';

const refusal = (n: number, code = '08P01'): StartupRefusal => ({
  session: `s${n}`,
  client: { address: '203.0.113.7', port: 40000 + n },
  user: '',
  database: '',
  application: '',
  method: null,
  code,
  reason: 'invalid length of startup packet',
});

describe('StartupRefusals', () => {
  let events: TrailEvent[];
  let refusals: StartupRefusals;
  beforeEach(() => {
    vi.useFakeTimers();
    events = [];
    refusals = new StartupRefusals({ record: (e) => (events.push(e), null) }, () => 'proxy-a');
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const failed = () => events.filter((e): e is SessionAuthFailed => e.type === 'session.auth_failed');

  it('records each refusal as session.auth_failed with its SQLSTATE, reason and instance', () => {
    refusals.record(refusal(1));
    expect(failed()).toEqual([
      expect.objectContaining({
        session: 's1',
        code: '08P01',
        reason: 'invalid length of startup packet',
        client: { address: '203.0.113.7', port: 40001 },
        method: null,
        instance: 'proxy-a',
      }),
    ]);
  });

  it('lets a burst through, holds back a flood and says so in one summary record a second later', () => {
    const { burst, perSecond } = STARTUP_REFUSAL_BOUND;
    for (let i = 0; i < 1000; i++) refusals.record(refusal(i, i % 4 === 0 ? '28000' : '08P01'));
    expect(failed()).toHaveLength(burst);
    vi.advanceTimersByTime(1_000);
    const summary = failed().at(-1);
    expect(failed()).toHaveLength(burst + 1);
    const heldBack = 1000 - burst;
    expect(summary?.reason).toMatch(new RegExp(`^${heldBack} more refused startups not recorded one by one`));
    expect(summary?.reason).toContain('08P01 x');
    expect(summary?.reason).toContain('28000 x');
    expect(summary?.code).toBe('08P01');
    // A second later the bucket has refilled by perSecond records.
    for (let i = 0; i < 100; i++) refusals.record(refusal(2000 + i));
    expect(failed()).toHaveLength(burst + 1 + perSecond);
  });

  it('writes the held-back summary at once on flush (shutdown)', () => {
    for (let i = 0; i < STARTUP_REFUSAL_BOUND.burst + 3; i++) refusals.record(refusal(i));
    refusals.flush();
    expect(failed().at(-1)?.reason).toMatch(/^3 more refused startups/);
    vi.advanceTimersByTime(5_000);
    expect(failed()).toHaveLength(STARTUP_REFUSAL_BOUND.burst + 1);
  });
});

import { describe, expect, it } from 'vitest';
import { parseTimeSpec } from './time-spec.js';

const now = Date.parse('2026-03-10T12:00:00Z');

describe('parseTimeSpec', () => {
  it('reads relative ages before now', () => {
    expect(parseTimeSpec('2h', now)).toBe(Date.parse('2026-03-10T10:00:00Z'));
    expect(parseTimeSpec('7d', now)).toBe(Date.parse('2026-03-03T12:00:00Z'));
    expect(parseTimeSpec('30m', now)).toBe(Date.parse('2026-03-10T11:30:00Z'));
    expect(parseTimeSpec('90s', now)).toBe(now - 90_000);
    expect(parseTimeSpec('1w', now)).toBe(now - 7 * 86_400_000);
    expect(parseTimeSpec('1.5h', now)).toBe(now - 5_400_000);
  });

  it('reads ISO dates and times, UTC unless an offset is given', () => {
    expect(parseTimeSpec('2026-03-09', now)).toBe(Date.parse('2026-03-09T00:00:00Z'));
    expect(parseTimeSpec('2026-03-09T08:15', now)).toBe(Date.parse('2026-03-09T08:15:00Z'));
    expect(parseTimeSpec('2026-03-09 08:15:30', now)).toBe(Date.parse('2026-03-09T08:15:30Z'));
    expect(parseTimeSpec('2026-03-09T08:15:30.250Z', now)).toBe(Date.parse('2026-03-09T08:15:30.250Z'));
    expect(parseTimeSpec('2026-03-09T08:15:30+02:00', now)).toBe(Date.parse('2026-03-09T06:15:30Z'));
  });

  it('rejects anything else with SEARCH_BAD_TIME', () => {
    for (const bad of ['', 'yesterday', '2h ago', '1', '-2h', '2026-13-45', '7y']) {
      expect(() => parseTimeSpec(bad, now), bad).toThrow(expect.objectContaining({ code: 'SEARCH_BAD_TIME' }));
    }
  });
});

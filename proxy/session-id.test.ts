import { describe, expect, it } from 'vitest';
import { newSessionId } from './session-id.js';

describe('newSessionId', () => {
  it('is 26 base32 characters, unique, and sorts by time', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => newSessionId(1_700_000_000_000 + i));
    for (const id of ids) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(newSessionId(1) < newSessionId(2 ** 40)).toBe(true);
  });
});

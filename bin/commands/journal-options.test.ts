import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../cli.js';
import { defaultWidth, listingForm, listingOptions, terminalWidth } from './journal-options.js';

function ctx(stdout: { isTTY?: boolean; columns?: number }, env: Record<string, string> = {}): CommandContext {
  return { argv: [], env, stdout: Object.assign(new PassThrough(), stdout), stderr: new PassThrough() };
}

describe('terminalWidth', () => {
  it("is the terminal's own width when stdout is a terminal, whatever COLUMNS says", () => {
    expect(terminalWidth(ctx({ isTTY: true, columns: 132 }, { COLUMNS: '40' }))).toBe(132);
  });

  it('is COLUMNS when stdout is not a terminal, else 80', () => {
    expect(terminalWidth(ctx({}, { COLUMNS: '100' }))).toBe(100);
    expect(terminalWidth(ctx({}))).toBe(defaultWidth);
    expect(defaultWidth).toBe(80);
    for (const bad of ['', '0', '-5', 'wide', '80.5']) expect(terminalWidth(ctx({}, { COLUMNS: bad }))).toBe(80);
  });
});

describe('listing flags', () => {
  it('takes at most one of --json, --wide and --expanded', () => {
    expect(listingForm({})).toBe('table');
    expect(listingForm({ expanded: true })).toBe('expanded');
    expect(() => listingForm({ json: true, expanded: true })).toThrow('--json and --expanded cannot be combined');
  });

  it('takes --limit as a whole number of at most 15 digits', () => {
    expect(listingOptions({ limit: '0' })).toEqual({ limit: 0, order: 'asc' });
    for (const bad of ['-1', '1.5', '1e3', '9'.repeat(16)])
      expect(() => listingOptions({ limit: bad }), bad).toThrow('--limit must be a whole number, 0 or more');
  });
});

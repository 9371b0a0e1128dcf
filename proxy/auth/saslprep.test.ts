import { describe, expect, it } from 'vitest';
import { saslPrep } from './saslprep.js';

const prep = (password: string | Buffer) =>
  saslPrep(typeof password === 'string' ? Buffer.from(password, 'utf8') : password);
const utf8 = (text: string) => Buffer.from(text, 'utf8');

describe('saslPrep (PostgreSQL pg_saslprep with its fallback to the raw bytes)', () => {
  // RFC 4013 section 3; #6 and #7 are errors in the RFC, which PostgreSQL turns into the raw bytes
  // (and #6 is ASCII, which PostgreSQL does not prepare at all).
  it.each([
    ['#1 soft hyphen mapped to nothing', 'I\u00ADX', 'IX'],
    ['#2 no transformation', 'user', 'user'],
    ['#3 case preserved', 'USER', 'USER'],
    ['#4 output is NFKC', '\u00AA', 'a'],
    ['#5 output is NFKC, matches #1', '\u2168', 'IX'],
    ['#6 prohibited character (ASCII: used as it is)', '\u0007', '\u0007'],
    ['#7 bidirectional check fails (raw bytes)', '\u0627\u0031', '\u0627\u0031'],
  ])('RFC 4013 example %s', (_name, input, output) => {
    expect(prep(input)).toEqual(utf8(output));
  });

  it('returns pure ASCII unchanged, control characters and the empty password included', () => {
    for (const p of ['', 'app-secret', 'tab\there', '\u0000\u007f']) expect(prep(p)).toEqual(utf8(p));
  });

  it('maps non-ASCII spaces (C.1.2) to a space and B.1 to nothing; U+200B, in both, becomes a space', () => {
    expect(prep('a\u00A0b\u3000c\u1680d')).toEqual(utf8('a b c d'));
    expect(prep('pass\u00ADwo\u200Drd\uFE0F')).toEqual(utf8('password'));
    expect(prep('x\u200By')).toEqual(utf8('x y'));
  });

  it('normalizes to NFKC after mapping', () => {
    expect(prep('ｐａｓｓ\uFB01')).toEqual(utf8('passfi'));
    expect(prep('e\u0301\u00BD')).toEqual(utf8('\u00E91\u20442'));
  });

  it('keeps a byte order mark as a code point (B.1: mapped to nothing), not as an encoding marker', () => {
    expect(prep('\uFEFF\u00E9')).toEqual(utf8('\u00E9'));
  });

  it('uses the raw bytes when nothing is left after mapping', () => {
    expect(prep('\u00AD\u200D')).toEqual(utf8('\u00AD\u200D'));
  });

  it.each([
    ['C.2.1 ASCII control with non-ASCII text', 'ｐａｓｓ\u0007'],
    ['C.2.2 non-ASCII control', 'ｐａｓｓ\u0085'],
    ['C.3 private use', 'ｐａｓｓ\uE000'],
    ['C.3 private use, plane 15', 'ｐａｓｓ\u{F0000}'],
    ['C.4 non-character', 'ｐａｓｓ\uFDD0'],
    ['C.6 inappropriate for plain text', 'ｐａｓｓ\uFFFC'],
    ['C.7 inappropriate for canonical representation', 'ｐａｓｓ\u2FF0'],
    ['C.8 display-changing', 'ｐａｓｓ\u202E'],
    ['C.9 tagging', 'ｐａｓｓ\u{E0041}'],
    ['A.1 unassigned in Unicode 3.2', 'ｐａｓｓ\u0221'],
    ['A.1 unassigned in Unicode 3.2 (emoji)', 'ｐａｓｓ\u{1F600}'],
  ])('uses the raw bytes for a prohibited code point: %s', (_name, password) => {
    expect(prep(password)).toEqual(utf8(password));
  });

  it('checks prohibited code points before NFKC, as PostgreSQL does (U+0341 is C.8; its NFKC U+0301 is not)', () => {
    expect(prep('e\u0341')).toEqual(utf8('e\u0341'));
    expect(prep('\u2150')).toEqual(utf8('\u2150')); // unassigned in 3.2, although NFKC would give "1⁄7"
  });

  it('applies the bidi rules to the mapped string', () => {
    expect(prep('\u0627\u0031\u0628')).toEqual(utf8('\u0627\u0031\u0628')); // valid: RandALCat first and last
    expect(prep('\u0627\uFF11\u0628')).toEqual(utf8('\u0627\u0031\u0628')); // valid, and normalized
    expect(prep('\u0627\uFF11')).toEqual(utf8('\u0627\uFF11')); // last is not RandALCat: raw
    expect(prep('\uFF11\u0627')).toEqual(utf8('\uFF11\u0627')); // first is not RandALCat: raw
    expect(prep('\u0627ｐ\u0628')).toEqual(utf8('\u0627ｐ\u0628')); // RandALCat with LCat: raw
  });

  it.each([
    ['a lone continuation byte', [0x70, 0x80]],
    ['0xFF', [0x70, 0xff]],
    ['an overlong encoding', [0xc0, 0xaf, 0xc3, 0xa9]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a truncated sequence', [0xef, 0xbc]],
  ])('uses the raw bytes of input that is not UTF-8: %s', (_name, bytes) => {
    expect(prep(Buffer.from(bytes))).toEqual(Buffer.from(bytes));
  });

  it('returns a copy the caller may zero, never the input buffer', () => {
    for (const p of ['ascii', 'ｐａｓｓ', 'ｐａｓｓ\uE000']) {
      const input = utf8(p);
      const out = prep(input);
      out.fill(0);
      expect(input).toEqual(utf8(p));
    }
  });
});

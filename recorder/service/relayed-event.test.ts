import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { statementFinished, statementStarted } from '../testing/sample-events.js';
import { scanEventJson } from './event-json-scan.js';
import { checkRelayedEvent, relayedEventExtraBytes, relayPrefixOf, writeRelayedEvent } from './relayed-event.js';

const bytesOf = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
const event = { type: 'session.closed', ts: 1764115200000, session: 'c0ffee01' };

/** The line the service appends for `bytes` from `instance` as `seq`, as text (checked first, as the service does). */
function relayedEventLine(bytes: Buffer, instance: string, seq: number): string {
  checkRelayedEvent(bytes, instance);
  const prefix = relayPrefixOf(instance);
  const out = Buffer.alloc(bytes.length + relayedEventExtraBytes(prefix));
  return out.toString('utf8', 0, writeRelayedEvent(bytes, prefix, seq, out));
}

describe('checkRelayedEvent and writeRelayedEvent', () => {
  it('keeps the proxy bytes as sent and appends the relay member', () => {
    for (const e of [statementStarted('s1', 7), statementFinished('s1', 7), { ...event, instance: 'eu-1' }]) {
      const line = relayedEventLine(bytesOf(e), 'eu-1', 42);
      expect(line).toBe(`${JSON.stringify(e).slice(0, -1)},"relay":{"instance":"eu-1","seq":42}}`);
      expect(JSON.parse(line)).toEqual({ ...e, relay: { instance: 'eu-1', seq: 42 } });
    }
  });

  it('writes sequence numbers of every length up to 2^53 - 1, in the room it asks for', () => {
    for (const seq of [1, 9, 10, 99, 1_000_000, Number.MAX_SAFE_INTEGER]) {
      const bytes = bytesOf(event);
      const prefix = relayPrefixOf('eu-1');
      const out = Buffer.alloc(bytes.length + relayedEventExtraBytes(prefix), 0xee);
      const length = writeRelayedEvent(bytes, prefix, seq, out);
      expect(JSON.parse(out.toString('utf8', 0, length)).relay).toEqual({ instance: 'eu-1', seq });
      expect(out.subarray(length).every((b) => b === 0xee)).toBe(true);
    }
  });

  it('accepts escapes JSON.parse accepts, and checks what they decode to', () => {
    const raw = Buffer.from('{"type":"session.closed","ts":1.5e3,"session":"a\\u00e9\\n","instance":"e\\u0075-1"}');
    expect(JSON.parse(relayedEventLine(raw, 'eu-1', 1))).toMatchObject({ session: 'aé\n', instance: 'eu-1' });
    expect(() => relayedEventLine(raw, 'eu-2', 1)).toThrow(/names another instance/);
  });

  it.each([
    ['not an object', Buffer.from('[1]'), /not a JSON object/],
    ['invalid JSON', Buffer.from('{"type":"session.closed",}'), /not valid JSON/],
    ['a raw line break', Buffer.from('{"type":\n"session.closed"}'), /line break/],
    ['a raw control character in a string', Buffer.from('{"session":"a\tb"}'), /not valid JSON/],
    [
      'invalid UTF-8',
      Buffer.concat([Buffer.from('{"type":"session.closed","x":"'), Buffer.from([0xff, 0x22, 0x7d])]),
      /UTF-8/,
    ],
    ['an unknown type', bytesOf({ ...event, type: 'session.hacked' }), /unknown type/],
    ['an escaped type', Buffer.from('{"type":"session\\u002eclosed","ts":1,"session":"s"}'), /unknown type/],
    ['a type twice', Buffer.from('{"type":"session.closed","type":"x","ts":1,"session":"s"}'), /not valid JSON/],
    ['no timestamp', bytesOf({ ...event, ts: '1' }), /no timestamp/],
    ['an infinite timestamp', Buffer.from('{"type":"session.closed","ts":1e999,"session":"s"}'), /no timestamp/],
    ['a session too long', bytesOf({ ...event, session: 'x'.repeat(129) }), /no session/],
    ['a session that is not a string', bytesOf({ ...event, session: 7 }), /no session/],
    ['its own relay', bytesOf({ ...event, relay: { instance: 'eu-1', seq: 1 } }), /own relay/],
    ['a session chain member sprev', bytesOf({ ...event, sprev: 'AAAA' }), /session chain members/],
    ['a session chain member sn', bytesOf({ ...event, sn: 3 }), /session chain members/],
    ['another instance', bytesOf({ ...event, instance: 'us-1' }), /names another instance/],
    ['an instance that is not a string', bytesOf({ ...event, instance: null }), /names another instance/],
    ['an escaped member name', Buffer.from('{"typ\\u0065":"session.closed","ts":1,"session":"s"}'), /not valid JSON/],
  ])('refuses %s (RECORDER_EVENT_MALFORMED)', (_name, bytes, message) => {
    expect(() => relayedEventLine(bytes, 'eu-1', 1)).toThrow(message);
    try {
      relayedEventLine(bytes, 'eu-1', 1);
    } catch (err) {
      expect(err).toMatchObject({ code: 'RECORDER_EVENT_MALFORMED' });
    }
  });

  it('accepts a session of 128 characters written with escapes', () => {
    const session = 'é'.repeat(128);
    const raw = Buffer.from(`{"type":"session.closed","ts":1,"session":"${'\\u00e9'.repeat(128)}"}`);
    expect(JSON.parse(relayedEventLine(raw, 'eu-1', 1)).session).toBe(session);
    const tooLong = Buffer.from(`{"type":"session.closed","ts":1,"session":"${'\\u00e9'.repeat(129)}"}`);
    expect(() => relayedEventLine(tooLong, 'eu-1', 1)).toThrow(/no session/);
  });
});

describe('scanEventJson', () => {
  const oneLine = (s: string) => !/[\r\n]/.test(s);

  it('accepts every JSON object JSON.stringify writes with plain member names (generated), nesting up to 64', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 6 })), (value) => {
        const text = JSON.stringify(value);
        const plainNames = Object.keys(value).every((k) => JSON.stringify(k) === `"${k}"`);
        fc.pre(plainNames && oneLine(text) && !/"(type|ts|session|instance|relay|sprev|sn)":/.test(text));
        expect(scanEventJson(Buffer.from(text, 'utf8'))).not.toBeNull();
      }),
      { numRuns: 500 },
    );
    const deep = `{"a":${'['.repeat(64)}${']'.repeat(64)}}`;
    expect(scanEventJson(Buffer.from(deep))).not.toBeNull();
    expect(scanEventJson(Buffer.from(`{"a":${'['.repeat(65)}${']'.repeat(65)}}`))).toBeNull();
  });

  it('never accepts what JSON.parse refuses or what is not an object (generated, from a JSON alphabet)', () => {
    const alphabet = fc.constantFrom(...'{}[]",:\\ 0123456789.eE+-tfrueanlsu\t\u0001'.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (chars) => {
        const text = chars.join('');
        if (scanEventJson(Buffer.from(text, 'utf8')) === null) return;
        const parsed: unknown = JSON.parse(text);
        expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('never accepts a valid event cut short or with one byte changed into invalid JSON', () => {
    const text = JSON.stringify({ ...statementStarted('s1', 3), params: ['a"b', 'c\\d', null], n: -0.5e-3 });
    const bytes = Buffer.from(text);
    for (let cut = 0; cut < bytes.length; cut++) expect(scanEventJson(bytes.subarray(0, cut))).toBeNull();
    for (let at = 0; at < bytes.length; at++) {
      for (const c of [0x22, 0x5c, 0x2c, 0x7d, 0x30, 0x01]) {
        const changed = Buffer.from(bytes);
        changed[at] = c;
        let valid = true;
        try {
          JSON.parse(changed.toString('utf8'));
        } catch {
          valid = false;
        }
        if (!valid) expect(scanEventJson(changed), `byte ${at} set to ${c}`).toBeNull();
      }
    }
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TrafficObserver } from '../traffic-observer.js';
import { BackendError } from '../backend-error.js';
import { BackendCode } from './message-codes.js';
import { ServerFrameReader } from './server-frame-reader.js';
import { chunksAt } from './testing/chunks-at.js';

interface Msg {
  readonly code: number;
  readonly body: Buffer;
}

function encode(msgs: readonly Msg[]): Buffer {
  return Buffer.concat(
    msgs.map((m) => {
      const b = Buffer.alloc(5 + m.body.length);
      b[0] = m.code;
      b.writeInt32BE(4 + m.body.length, 1);
      m.body.copy(b, 5);
      return b;
    }),
  );
}

/** Runs the reader over chunks and rebuilds the messages from what the observer saw. */
function observe(bytes: Buffer, cuts: readonly number[]) {
  const seen: Msg[] = [];
  let pieces: Buffer[] = [];
  const problems: string[] = [];
  const observer: TrafficObserver = {
    clientMessage: () => null,
    clientCopyData: () => {},
    serverMessage: (code, body) => {
      if (pieces.length > 0) problems.push('whole message inside a streamed one');
      seen.push({ code, body: Buffer.from(body) });
    },
    serverDataPiece: (code, piece, first, last) => {
      if (first !== (pieces.length === 0)) problems.push('first flag wrong');
      pieces.push(Buffer.from(piece));
      if (last) {
        seen.push({ code, body: Buffer.concat(pieces) });
        pieces = [];
      }
    },
    cancelRequested: () => {},
    batchRefused: () => {},
    sessionEnded: () => {},
    statementCount: 0,
  };
  const reader = new ServerFrameReader(1 << 20, observer);
  for (const chunk of chunksAt(bytes, cuts)) reader.push(chunk);
  return { seen, problems, reader };
}

const sample: Msg[] = [
  {
    code: BackendCode.RowDescription,
    body: Buffer.from('\0\x01a\0\0\0\0\0\0\0\0\0\0\x17\0\x04\xff\xff\xff\xff\0\0', 'latin1'),
  },
  { code: BackendCode.DataRow, body: Buffer.from('\0\x01\0\0\0\x011') },
  { code: BackendCode.DataRow, body: Buffer.alloc(0) },
  { code: BackendCode.CommandComplete, body: Buffer.from('SELECT 2\0') },
  { code: BackendCode.CopyData, body: Buffer.from('row\n') },
  { code: BackendCode.NoticeResponse, body: Buffer.from('SNOTICE\0Mhi\0\0') },
  { code: BackendCode.ParameterStatus, body: Buffer.from('TimeZone\0UTC\0') },
  { code: BackendCode.ReadyForQuery, body: Buffer.from('I') },
];

const msgArb = fc.record({
  code: fc.constantFrom(...Object.values(BackendCode)),
  body: fc.uint8Array({ maxLength: 50 }).map((a) => Buffer.from(a)),
});

describe('ServerFrameReader', () => {
  it('hands over every message, DataRow and CopyData in pieces, at every split position', () => {
    const bytes = encode(sample);
    for (let a = 0; a <= bytes.length; a++) {
      for (const b of [a + 1, a + 7]) {
        const { seen, problems, reader } = observe(bytes, [a, b]);
        expect(problems).toEqual([]);
        expect(seen).toEqual(sample);
        expect(reader.isReady).toBe(true);
      }
    }
  });

  it('hands over generated messages under generated chunkings', () => {
    fc.assert(
      fc.property(
        fc.array(msgArb, { maxLength: 15 }),
        fc.array(fc.nat({ max: 800 }), { maxLength: 10 }),
        (msgs, cuts) => {
          const { seen, problems, reader } = observe(encode(msgs), cuts);
          expect(problems).toEqual([]);
          expect(seen).toEqual(msgs);
          expect(reader.atBoundary).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('tracks readiness and boundaries without an observer', () => {
    const bytes = encode(sample);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const reader = new ServerFrameReader(1 << 20, null);
      const chunks = chunksAt(bytes, [cut]);
      for (const c of chunks) reader.push(c);
      expect(reader.isReady).toBe(true);
      if (cut > 0 && cut < bytes.length) {
        const partial = new ServerFrameReader(1 << 20, null);
        partial.push(bytes.subarray(0, cut));
        expect(partial.isReady).toBe(false);
      }
    }
  });

  it('refuses a length below 4 or above the limit with BackendError, and nothing else on garbage', () => {
    for (const bad of [
      Buffer.from([BackendCode.DataRow, 0, 0, 0, 2]),
      Buffer.from([BackendCode.DataRow, 0, 0, 0x10, 0]),
    ]) {
      expect(() => new ServerFrameReader(1024, null).push(bad)).toThrow(BackendError);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (raw) => {
        try {
          new ServerFrameReader(1024, null).push(Buffer.from(raw));
        } catch (err) {
          expect(err).toBeInstanceOf(BackendError);
        }
      }),
    );
  });
});

describe('ServerFrameReader without an observer', () => {
  it('keeps the last ReadyForQuery status whatever the split (the forwarder answers a refused batch by it)', () => {
    const bytes = encode([
      { code: BackendCode.CommandComplete, body: Buffer.from('BEGIN\0') },
      { code: BackendCode.ReadyForQuery, body: Buffer.from('T') },
      { code: BackendCode.DataRow, body: Buffer.alloc(12, 1) },
      { code: BackendCode.ReadyForQuery, body: Buffer.from('E') },
    ]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const reader = new ServerFrameReader(1024, null);
      reader.push(bytes.subarray(0, cut));
      expect(reader.readyStatus, `cut at ${cut}`).toBe(cut >= 5 + 6 + 6 ? 0x54 : 0);
      reader.push(bytes.subarray(cut));
      expect(reader.readyStatus, `cut at ${cut}`).toBe(0x45);
      expect(reader.readies).toBe(2);
    }
  });
});

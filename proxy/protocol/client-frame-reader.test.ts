import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { silentObserver, type TrafficObserver } from '../traffic-observer.js';
import { BackendError } from '../backend-error.js';
import { ClientFrameReader } from './client-frame-reader.js';
import { FrontendCode } from './message-codes.js';
import { chunksAt } from './testing/chunks-at.js';

interface Msg {
  readonly code: number;
  readonly body: Buffer;
}

function encode(msgs: readonly Msg[]): { bytes: Buffer; starts: number[] } {
  const parts: Buffer[] = [];
  const starts: number[] = [];
  let at = 0;
  for (const m of msgs) {
    const b = Buffer.alloc(5 + m.body.length);
    b[0] = m.code;
    b.writeInt32BE(4 + m.body.length, 1);
    m.body.copy(b, 5);
    parts.push(b);
    starts.push(at);
    at += b.length;
  }
  return { bytes: Buffer.concat(parts), starts };
}

/** An observer that only answers clientMessage (as `clientMessage` says) and ignores the rest. */
function observerOf(clientMessage: TrafficObserver['clientMessage']): TrafficObserver {
  // silentObserver ignores the session it is given.
  return { ...silentObserver(null as never), clientMessage };
}

/** Feeds chunks through a reader with an observer that gates every `gateEvery`-th message; checks the durability rule as it goes. */
async function run(msgs: readonly Msg[], cuts: readonly number[], gateEvery: number) {
  const { bytes, starts } = encode(msgs);
  const forwarded: Buffer[] = [];
  let forwardedBytes = 0;
  const delivered: Msg[] = [];
  const copyBodies: Buffer[] = [];
  let copyCurrent: Buffer[] = [];
  let index = 0;
  const violations: string[] = [];
  const nonCopy = msgs
    .map((m, i) => ({ m, start: starts[i] as number }))
    .filter((x) => x.m.code !== FrontendCode.CopyData);
  const observer: TrafficObserver = {
    clientMessage(code, body) {
      const expected = nonCopy[delivered.length];
      if (expected && forwardedBytes > expected.start)
        violations.push(`message ${delivered.length} forwarded before it was observed`);
      if (copyCurrent.length > 0) {
        copyBodies.push(Buffer.concat(copyCurrent));
        copyCurrent = [];
      }
      delivered.push({ code, body: Buffer.from(body) });
      index++;
      if (gateEvery > 0 && index % gateEvery === 0) {
        const start = expected?.start ?? 0;
        return new Promise<void>((resolve) => {
          setImmediate(() => {
            if (forwardedBytes > start) violations.push(`gated message ${index} forwarded before its gate settled`);
            resolve();
          });
        });
      }
      return null;
    },
    clientCopyData(piece) {
      copyCurrent.push(Buffer.from(piece));
    },
    serverMessage() {},
    serverDataPiece() {},
    cancelRequested() {},
    batchRefused() {},
    sessionEnded() {},
    statementCount: 0,
  };
  const reader = new ClientFrameReader(1 << 20, observer, (b) => {
    forwarded.push(Buffer.from(b));
    forwardedBytes += b.length;
  });
  for (const chunk of chunksAt(bytes, cuts)) {
    let gate = reader.push(chunk);
    while (gate) {
      await gate;
      gate = reader.resume();
    }
  }
  if (copyCurrent.length > 0) copyBodies.push(Buffer.concat(copyCurrent));
  return { bytes, forwarded: Buffer.concat(forwarded), delivered, copyBodies, violations, reader };
}

const sample: Msg[] = [
  { code: FrontendCode.Query, body: Buffer.from('select 1;\0') },
  { code: FrontendCode.Parse, body: Buffer.from('s1\0select $1\0\0\0') },
  { code: FrontendCode.Sync, body: Buffer.alloc(0) },
  { code: FrontendCode.CopyData, body: Buffer.from('1\tone\n2\ttwo\n') },
  { code: FrontendCode.CopyData, body: Buffer.alloc(0) },
  { code: FrontendCode.CopyDone, body: Buffer.alloc(0) },
  { code: FrontendCode.Flush, body: Buffer.alloc(0) },
  { code: FrontendCode.Terminate, body: Buffer.alloc(0) },
];

const msgArb = fc.oneof(
  fc.record({
    code: fc.constantFrom(
      FrontendCode.Query,
      FrontendCode.Parse,
      FrontendCode.Bind,
      FrontendCode.Execute,
      FrontendCode.Describe,
      FrontendCode.Close,
      FrontendCode.FunctionCall,
      FrontendCode.CopyFail,
    ),
    body: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
  }),
  fc.record({
    code: fc.constant(FrontendCode.CopyData),
    body: fc.uint8Array({ maxLength: 60 }).map((a) => Buffer.from(a)),
  }),
  fc.record({
    code: fc.constantFrom(FrontendCode.Sync, FrontendCode.Flush, FrontendCode.CopyDone),
    body: fc.constant(Buffer.alloc(0)),
  }),
);

function check(result: Awaited<ReturnType<typeof run>>, msgs: readonly Msg[]): void {
  expect(result.violations).toEqual([]);
  expect(result.forwarded.equals(result.bytes)).toBe(true);
  expect(result.delivered).toEqual(msgs.filter((m) => m.code !== FrontendCode.CopyData));
  const copies = msgs.filter((m) => m.code === FrontendCode.CopyData && m.body.length > 0).map((m) => m.body);
  expect(Buffer.concat(result.copyBodies).equals(Buffer.concat(copies))).toBe(true);
  expect(result.reader.atBoundary).toBe(true);
}

describe('ClientFrameReader with an observer', () => {
  it('delivers and forwards the same bytes when split at every position', async () => {
    const { bytes } = encode(sample);
    for (let cut = 0; cut <= bytes.length; cut++) {
      check(await run(sample, [cut], 0), sample);
    }
  });

  it('never forwards a gated message, or anything after it, before the gate settles (split at every position)', async () => {
    const { bytes } = encode(sample);
    for (let cut = 0; cut <= bytes.length; cut++) {
      check(await run(sample, [cut], 1), sample);
      check(await run(sample, [cut, cut + 3], 2), sample);
    }
  });

  it('holds for generated messages and chunkings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(msgArb, { maxLength: 12 }),
        fc.array(fc.nat({ max: 600 }), { maxLength: 8 }),
        fc.nat({ max: 3 }),
        async (msgs, cuts, gateEvery) => {
          check(await run(msgs, cuts, gateEvery), msgs);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('sends the messages before a gated one in the same write as it, and a settled statement before the next gate', async () => {
    const bind = { code: FrontendCode.Bind, body: Buffer.from('\0s\0\0\0\0\0\0\0') };
    const execute = { code: FrontendCode.Execute, body: Buffer.from('\0\0\0\0\0') };
    const sync = { code: FrontendCode.Sync, body: Buffer.alloc(0) };
    const msgs = [bind, execute, sync, bind, execute, sync];
    const { bytes, starts } = encode(msgs);
    const writes: Buffer[] = [];
    const gates: (() => void)[] = [];
    const observer = observerOf((code) =>
      code === FrontendCode.Execute ? new Promise<void>((resolve) => gates.push(resolve)) : null,
    );
    const reader = new ClientFrameReader(1 << 20, observer, (b) => writes.push(Buffer.from(b)));
    const gate1 = reader.push(bytes);
    expect(gate1).not.toBeNull();
    expect(writes).toEqual([]); // Bind waits with its Execute
    gates[0]?.();
    await gate1;
    const gate2 = reader.resume();
    expect(gate2).not.toBeNull();
    // The first statement (Bind, Execute, Sync) and the second Bind leave together; the second Execute waits.
    expect(writes).toEqual([bytes.subarray(0, starts[4])]);
    gates[1]?.();
    await gate2;
    expect(reader.resume()).toBeNull();
    expect(writes).toEqual([bytes.subarray(0, starts[4]), bytes.subarray(starts[4])]);
    expect(reader.atBoundary).toBe(true);
  });

  it('splits at every byte (one-byte chunks)', async () => {
    const { bytes } = encode(sample);
    const cuts = Array.from({ length: bytes.length }, (_, i) => i);
    check(await run(sample, cuts, 1), sample);
  });
});

const msg = (code: number, text = ''): Msg => ({ code, body: Buffer.from(text) });

/**
 * Feeds chunks through a reader whose observer refuses (rejects the gate of) every message whose body
 * is 'refuse', as the forwarder does: refuseBatch, then resume. Returns what was forwarded, how
 * many refused batches ended, and whether each refusal found its batch whole.
 */
async function runRefusing(chunks: readonly Buffer[]) {
  const forwarded: Buffer[] = [];
  const wholes: boolean[] = [];
  let ends = 0;
  const reader = new ClientFrameReader(
    1 << 20,
    observerOf((_code, body) => {
      if (body.toString() !== 'refuse') return null;
      const refused = Promise.reject(new Error('not recorded'));
      refused.catch(() => undefined);
      return refused;
    }),
    (b) => forwarded.push(Buffer.from(b)),
  );
  const settle = async (first: Promise<void> | null): Promise<boolean> => {
    let gate = first;
    while (gate !== null) {
      try {
        await gate;
        gate = reader.resume();
      } catch {
        const whole = reader.refuseBatch(() => {
          ends++;
          return Promise.resolve();
        });
        wholes.push(whole);
        if (!whole) return false;
        gate = reader.resume();
      }
    }
    return true;
  };
  for (const chunk of chunks) if (!(await settle(reader.push(chunk)))) break;
  return { forwarded: Buffer.concat(forwarded), ends, wholes };
}

describe('ClientFrameReader refusing a batch', () => {
  const { Sync, Parse, Bind, Describe, Execute, Query, Flush } = FrontendCode;

  it('drops the refused extended batch from its first message to its Sync, and forwards what is before and after (split at every position)', async () => {
    const before = [msg(Parse, 'a'), msg(Bind), msg(Execute, 'ok'), msg(Sync)];
    const refused = [msg(Parse, 'b'), msg(Bind), msg(Describe, 'P'), msg(Execute, 'refuse'), msg(Flush)];
    const rest = [msg(Bind, 'skipped'), msg(Execute, 'skipped'), msg(Sync)];
    const after = [msg(Query, 'select 2'), msg(Parse, 'c'), msg(Sync)];
    const bytes = encode([...before, ...refused, ...rest, ...after]).bytes;
    const expected = Buffer.concat([encode(before).bytes, encode(after).bytes]);
    // The batch is whole while its messages up to the refused one arrive in one read: a message
    // complete in an earlier read has left by then.
    const batchStart = encode(before).bytes.length;
    const refusedEnd = batchStart + encode(refused.slice(0, 4)).bytes.length;
    let whole = 0;
    for (let cut = 0; cut <= bytes.length; cut++) {
      for (const second of [cut + 1, cut + 7]) {
        const result = await runRefusing(chunksAt(bytes, [cut, second]));
        const split = [cut, second].some((c) => c > batchStart && c < refusedEnd);
        expect(result.wholes, `cuts ${cut}, ${second}`).toEqual([!split]);
        if (split) {
          expect(result.forwarded.subarray(0, batchStart).equals(encode(before).bytes)).toBe(true);
          expect(result.forwarded.length).toBeLessThan(refusedEnd);
          continue;
        }
        whole++;
        expect(result.ends).toBe(1);
        expect(result.forwarded.equals(expected), `cuts ${cut}, ${second}`).toBe(true);
      }
    }
    expect(whole).toBeGreaterThan(bytes.length);
  });

  it('drops just the refused Query, whose batch it is, at every split position', async () => {
    const stream = [msg(Query, 'select 1'), msg(Query, 'refuse'), msg(Query, 'select 3')];
    const bytes = encode(stream).bytes;
    const expected = encode([msg(Query, 'select 1'), msg(Query, 'select 3')]).bytes;
    for (let cut = 0; cut <= bytes.length; cut++) {
      const result = await runRefusing(chunksAt(bytes, [cut]));
      expect(result.wholes).toEqual([true]);
      expect(result.ends).toBe(1);
      expect(result.forwarded.equals(expected), `cut ${cut}`).toBe(true);
    }
  });

  it('says so, forwarding nothing more, when part of the batch already left', async () => {
    const sent = encode([msg(Parse, 'a'), msg(Describe, 'S'), msg(Flush)]).bytes;
    const later = encode([msg(Bind), msg(Execute, 'refuse'), msg(Sync)]).bytes;
    const result = await runRefusing([sent, later]);
    expect(result.wholes).toEqual([false]);
    expect(result.forwarded.equals(sent)).toBe(true);
  });
});

describe('ClientFrameReader without an observer', () => {
  function scan(bytes: Buffer, cuts: readonly number[], max = 1 << 20) {
    const forwarded: Buffer[] = [];
    const reader = new ClientFrameReader(max, null, (b) => forwarded.push(b));
    for (const chunk of chunksAt(bytes, cuts)) expect(reader.push(chunk)).toBeNull();
    return { forwarded: Buffer.concat(forwarded), reader };
  }

  it('forwards chunks unchanged and tracks the last message at every split position', () => {
    const { bytes } = encode(sample);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { forwarded, reader } = scan(bytes, [cut]);
      expect(forwarded.equals(bytes)).toBe(true);
      expect(reader.lastCode).toBe(FrontendCode.Terminate);
      expect(reader.atBoundary).toBe(true);
    }
  });

  it('forwards generated input unchanged', () => {
    fc.assert(
      fc.property(
        fc.array(msgArb, { maxLength: 12 }),
        fc.array(fc.nat({ max: 600 }), { maxLength: 8 }),
        (msgs, cuts) => {
          const { bytes } = encode(msgs);
          expect(scan(bytes, cuts).forwarded.equals(bytes)).toBe(true);
        },
      ),
    );
  });
});

describe('ClientFrameReader refuses malformed input', () => {
  const malformed: [string, Buffer][] = [
    ['an unknown type byte', Buffer.from([0x01, 0, 0, 0, 4])],
    ['a length below 4', Buffer.from([FrontendCode.Query, 0, 0, 0, 3])],
    ['a negative length', Buffer.from([FrontendCode.Query, 0xff, 0xff, 0xff, 0xff])],
    ['a Sync with a body', Buffer.from([FrontendCode.Sync, 0, 0, 0, 5, 0])],
    ['a message over the size limit', Buffer.from([FrontendCode.Query, 0, 0, 0x10, 0])],
  ];
  for (const [what, bytes] of malformed) {
    for (const withObserver of [false, true]) {
      it(`${what} (${withObserver ? 'observer' : 'headers only'}), at every split, with 08P01 and nothing forwarded`, () => {
        for (let cut = 0; cut <= bytes.length; cut++) {
          const forwarded: Buffer[] = [];
          const observer: TrafficObserver | null = withObserver ? observerOf(() => null) : null;
          const reader = new ClientFrameReader(1024, observer, (b) => forwarded.push(b));
          let error: unknown = null;
          try {
            for (const chunk of chunksAt(bytes, [cut])) reader.push(chunk);
          } catch (err) {
            error = err;
          }
          expect(error).toBeInstanceOf(BackendError);
          expect((error as BackendError).sqlstate).toBe('08P01');
          expect(Buffer.concat(forwarded).length).toBe(0);
        }
      });
    }
  }

  it('forwards the messages before one the observer refuses, and never that one or what follows (every split)', () => {
    const sync = { code: FrontendCode.Sync, body: Buffer.alloc(0) };
    const bad = { code: FrontendCode.Query, body: Buffer.from('select 1') }; // no terminating zero
    const good = { code: FrontendCode.Query, body: Buffer.from('select 2\0') };
    const { bytes, starts } = encode([sync, bad, good]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const forwarded: Buffer[] = [];
      const refuse = new BackendError('MALFORMED_MESSAGE', '08P01', 'malformed Query message');
      const observer = observerOf((code, body) => {
        if (code === FrontendCode.Query && !body.includes(0)) throw refuse;
        return null;
      });
      const reader = new ClientFrameReader(1024, observer, (b) => forwarded.push(Buffer.from(b)));
      let error: unknown = null;
      try {
        for (const chunk of chunksAt(bytes, [cut])) reader.push(chunk);
      } catch (err) {
        error = err;
      }
      expect(error).toBe(refuse);
      expect(Buffer.concat(forwarded)).toEqual(bytes.subarray(0, starts[1]));
    }
  });

  it('never throws anything but BackendError on generated garbage', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.nat({ max: 200 }), { maxLength: 5 }),
        fc.boolean(),
        (raw, cuts, withObserver) => {
          const observer: TrafficObserver | null = withObserver ? observerOf(() => null) : null;
          const reader = new ClientFrameReader(1024, observer, () => {});
          try {
            for (const chunk of chunksAt(Buffer.from(raw), cuts)) reader.push(chunk);
          } catch (err) {
            expect(err).toBeInstanceOf(BackendError);
          }
        },
      ),
    );
  });
});

import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkRingConsumer, ChunkRingProducer, createChunkRingMemory } from './chunk-ring.js';

interface Seen {
  readonly tag: number;
  readonly ts: number;
  readonly bytes: string;
}

describe('chunk ring', () => {
  it('hands over every record in order, intact, across many wraps of a small ring', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.boolean()), { minLength: 1, maxLength: 200 }),
        (steps) => {
          const memory = createChunkRingMemory(1024);
          const producer = new ChunkRingProducer(memory, Number.POSITIVE_INFINITY);
          const consumer = new ChunkRingConsumer(memory);
          const sent: Seen[] = [];
          const seen: Seen[] = [];
          const take = (tag: number, ts: number, payload: Buffer): void => {
            seen.push({ tag, ts, bytes: payload.toString('hex') });
          };
          let pending = 0;
          steps.forEach(([size, drain], i) => {
            const payload = Buffer.alloc(size, i % 251);
            if (size > 0) payload[size - 1] = size % 256;
            // Drain whenever the next record might not fit: a single thread cannot wait for room.
            if (drain || pending + size + 24 > 512) {
              consumer.drain(take);
              pending = 0;
            }
            producer.push(i << 4, i * 1.5, payload);
            pending += size + 24;
            sent.push({ tag: i << 4, ts: i * 1.5, bytes: payload.toString('hex') });
          });
          consumer.drain(take);
          expect(seen).toEqual(sent);
          expect(producer.waits).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a lag bound that is not positive', () => {
    expect(() => new ChunkRingProducer(createChunkRingMemory(1024), 0)).toThrow(RangeError);
    expect(() => new ChunkRingProducer(createChunkRingMemory(1024), Number.NaN)).toThrow(RangeError);
  });

  it('refuses a record larger than half the ring', () => {
    const producer = new ChunkRingProducer(createChunkRingMemory(1024), Number.POSITIVE_INFINITY);
    expect(producer.maxPayload).toBe(496);
    expect(() => producer.push(0, 0, Buffer.alloc(497))).toThrow(RangeError);
    producer.push(0, 0, Buffer.alloc(496));
  });

  it('wakes a sleeping consumer when a record arrives, and not before', async () => {
    const memory = createChunkRingMemory(1024);
    const producer = new ChunkRingProducer(memory, Number.POSITIVE_INFINITY);
    const consumer = new ChunkRingConsumer(memory);
    let woke = false;
    const sleeping = consumer.sleep().then(() => {
      woke = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(woke).toBe(false);
    producer.push(16, 1, Buffer.from('x'));
    await sleeping;
    const seen: string[] = [];
    expect(consumer.drain((_tag, _ts, payload) => seen.push(payload.toString()))).toBe(1);
    expect(seen).toEqual(['x']);
  });
});

/** The ring as built (npm test builds first): a worker thread runs JavaScript. */
const builtRing = new URL('../../dist/proxy/offthread/chunk-ring.js', import.meta.url).href;

describe('chunk ring across threads', () => {
  it('makes the producer wait for room when the consumer falls a ring behind, and loses nothing', async () => {
    const memory = createChunkRingMemory(4096);
    const consumer = new ChunkRingConsumer(memory);
    // The producer (on its own thread, as the forwarding thread is to the recording thread) writes
    // 200 records of 120 bytes into a 4 KiB ring that is not read for 300 ms: it must wait for room.
    const producer = `
      import { workerData, parentPort } from 'node:worker_threads';
      const { ChunkRingProducer } = await import(${JSON.stringify(builtRing)});
      const ring = new ChunkRingProducer(workerData, Infinity);
      for (let i = 0; i < 200; i++) ring.push(i << 4, i, Buffer.from(('record ' + i + ' ').padEnd(100, '.')));
      parentPort.postMessage(ring.waits);
    `;
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(producer)}`), {
      workerData: memory,
    });
    const waits = new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seen: [number, number, string][] = [];
    while (seen.length < 200) {
      consumer.drain((tag, ts, payload) => seen.push([tag, ts, payload.toString()]));
      if (seen.length < 200) await consumer.sleep();
    }
    expect(await waits).toBeGreaterThan(0);
    await worker.terminate();
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => [i << 4, i, `record ${i} `.padEnd(100, '.')]));
  });

  // The producer (its own thread) pushes 200 records stamped 0, 1, 2 ... ms into a ring with room for
  // all of them, and counts each push in shared memory; the consumer reads nothing at first.
  const lagProducer = `
    import { workerData, parentPort } from 'node:worker_threads';
    const { ChunkRingProducer } = await import(${JSON.stringify(builtRing)});
    const ring = new ChunkRingProducer(workerData.memory, workerData.maxLagMs);
    const pushed = new Int32Array(workerData.pushed);
    for (let i = 0; i < 200; i++) {
      ring.push(i << 4, i, Buffer.from('record ' + i));
      Atomics.store(pushed, 0, i + 1);
    }
    parentPort.postMessage(ring.lagWaits);
  `;
  async function unreadWhileNotReading(
    maxLagMs: number,
  ): Promise<{ pushed: number; lagWaits: number; seen: number[] }> {
    const memory = createChunkRingMemory(64 * 1024);
    const consumer = new ChunkRingConsumer(memory);
    const pushed = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(lagProducer)}`), {
      workerData: { memory, maxLagMs, pushed: pushed.buffer },
    });
    const lagWaits = new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    // Until the producer has pushed what the bound lets it (or everything), and a while longer.
    const enough = Math.min(200, maxLagMs + 1);
    for (let i = 0; i < 500 && Atomics.load(pushed, 0) < enough; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = Atomics.load(pushed, 0);
    const seen: number[] = [];
    while (seen.length < 200) {
      consumer.drain((_tag, ts) => seen.push(ts));
      if (seen.length < 200) await consumer.sleep();
    }
    const waits = await lagWaits;
    await worker.terminate();
    return { pushed: before, lagWaits: waits, seen };
  }

  it('makes the producer wait while the oldest unread record is older than the lag bound, and loses nothing', async () => {
    const bounded = await unreadWhileNotReading(50);
    // Records 0..50 are at most 50 ms newer than record 0; record 51 waits until record 0 is read.
    expect(bounded.pushed).toBe(51);
    expect(bounded.lagWaits).toBeGreaterThan(0);
    expect(bounded.seen).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('without a lag bound, only the ring size stops the producer', async () => {
    const unbounded = await unreadWhileNotReading(Number.POSITIVE_INFINITY);
    expect(unbounded.pushed).toBe(200);
    expect(unbounded.lagWaits).toBe(0);
  });
});

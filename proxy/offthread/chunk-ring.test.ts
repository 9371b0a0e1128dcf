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
          const producer = new ChunkRingProducer(memory);
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

  it('refuses a record larger than half the ring', () => {
    const producer = new ChunkRingProducer(createChunkRingMemory(1024));
    expect(producer.maxPayload).toBe(496);
    expect(() => producer.push(0, 0, Buffer.alloc(497))).toThrow(RangeError);
    producer.push(0, 0, Buffer.alloc(496));
  });

  it('wakes a sleeping consumer when a record arrives, and not before', async () => {
    const memory = createChunkRingMemory(1024);
    const producer = new ChunkRingProducer(memory);
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
      const ring = new ChunkRingProducer(workerData);
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
});

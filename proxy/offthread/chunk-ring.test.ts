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

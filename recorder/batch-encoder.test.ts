import { describe, expect, it } from 'vitest';
import { BatchEncoder, type EncodedBatch, type JournalPosition } from './batch-encoder.js';
import { CompactRange } from './format/merkle.js';
import { segmentName } from './format/segment-name.js';
import { nodeSha256, nodeSha256Into } from './node-sha256.js';
import { RecordQueue } from './record-queue.js';
import { generateSigningKey } from './signing-key.js';
import { sampleSession } from './testing/sample-events.js';

const { key } = generateSigningKey('pgtrail/batch-encoder-test');

// Small segments and frequent checkpoints, so that batches rotate segments and sign checkpoints mid-slice.
const limits = { checkpointEveryRecords: 7, segmentMaxBytes: 6_000 };

function freshPosition(): JournalPosition {
  return {
    key,
    origin: key.name,
    size: 0,
    prevHash: new Uint8Array(32),
    range: new CompactRange(nodeSha256, nodeSha256Into),
    segment: segmentName(0),
    segmentBytes: 0,
    sinceCheckpoint: 0,
    chains: new Map(),
    format: 4,
  };
}

/** Three batches of interleaved sessions with checkpoint and own-record markers, as the writer's queue hands them over. */
function queuedBatches(): RecordQueue[] {
  const sessions = ['a', 'b', 'c'].map((s) => sampleSession(s, 24));
  const queues: RecordQueue[] = [];
  for (let batch = 0; batch < 3; batch++) {
    const queue = new RecordQueue();
    for (let i = batch * 8; i < batch * 8 + 8; i++) {
      for (const session of sessions) {
        const event = session[i];
        if (event !== undefined) queue.pushEvent(event);
      }
      if (i % 5 === 2) queue.pushMarker({ type: 'checkpoint' });
      if (i % 7 === 3) queue.pushMarker({ type: 'record', kind: 'recovery', body: { at: i } });
    }
    queues.push(queue);
  }
  return queues;
}

/** The bytes of each chunk of a batch, with its segment: buffers are reused by the next batch, so they are copied. */
function snapshot(batch: EncodedBatch) {
  return {
    chunks: batch.chunks.map((c) => ({ segment: c.segment, isNew: c.isNew, bytes: Buffer.concat(c.buffers) })),
    latestNote: batch.latestNote,
    size: batch.size,
  };
}

function encodeAll(itemsPerSlice: number) {
  const encoder = new BatchEncoder(freshPosition(), limits);
  return queuedBatches().map((queue, n) => {
    const { items, json, heads } = queue.take();
    encoder.begin(items, json, n > 0, heads);
    let slices = 1;
    while (!encoder.encodeSome(itemsPerSlice)) {
      expect(encoder.itemsLeft).toBeGreaterThan(0);
      slices++;
    }
    expect(encoder.itemsLeft).toBe(0);
    return { ...snapshot(encoder.finish()), slices };
  });
}

describe('BatchEncoder', () => {
  it('encodes a batch in slices into the same bytes as in one piece, for every slice length', () => {
    const whole = encodeAll(Number.POSITIVE_INFINITY);
    expect(whole.map((b) => b.slices)).toEqual([1, 1, 1]);
    // The batches rotate segments and carry checkpoints: the comparison covers those steps.
    expect(whole.flatMap((b) => b.chunks).filter((c) => c.isNew).length).toBeGreaterThan(2);
    expect(whole.every((b) => b.latestNote !== null)).toBe(true);
    const strip = (batches: ReturnType<typeof encodeAll>) => batches.map(({ slices: _, ...rest }) => rest);
    for (const itemsPerSlice of [1, 2, 3, 5, 8, 13]) {
      const sliced = encodeAll(itemsPerSlice);
      expect(sliced[0]?.slices).toBeGreaterThan(1);
      expect(strip(sliced)).toEqual(strip(whole));
    }
  });
});

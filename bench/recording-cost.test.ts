import { expect, test } from 'vitest';
import type { MatrixResult, MatrixSample } from './pgbench-matrix.js';
import {
  recordingCostLines,
  recordingCosts,
  recordingCostSection,
  inlineTarget,
  unwrittenTarget,
} from './recording-cost.js';

function sample(tps: number, cpuSeconds: number): MatrixSample {
  return {
    tps,
    latencyAvgMs: 1,
    transactions: tps * 10,
    failed: 0,
    connectMs: 50,
    syncs: null,
    syncMs: null,
    records: null,
    proxyCpuSeconds: cpuSeconds,
  };
}

const cell = { mode: 'prepared', clients: 8 } as const;
const matrix: MatrixResult[] = [
  { target: 'node-relay', cell, samples: [sample(10_000, 5), sample(8_000, 4), sample(9_000, 4.5)] },
  { target: 'pgtrail-batched', cell, samples: [sample(7_000, 7), sample(7_200, 7.2), sample(6_300, 6.3)] },
  { target: 'pgbouncer', cell: { mode: 'simple', clients: 8 }, samples: [sample(12_000, 3)] },
];

test('batched against the relay: ratio of medians, median of per-round ratios, CPU per transaction', () => {
  const [cost, ...rest] = recordingCosts(matrix);
  expect(rest).toEqual([]);
  expect(cost?.setting).toBe('-M prepared, 8 clients');
  expect(cost?.tpsRatio).toBeCloseTo(7_000 / 9_000, 10);
  // Per round: 0.70, 0.90, 0.70.
  expect(cost?.pairedRatio).toBeCloseTo(0.7, 10);
  expect(cost?.relayCpuUs).toBeCloseTo((13.5 * 1e6) / 270_000, 10);
  expect(cost?.batchedCpuUs).toBeCloseTo((20.5 * 1e6) / 205_000, 10);
  expect(recordingCostLines(recordingCosts(matrix))[0]).toContain('0.78x (per round 0.70x; target 0.80x not met)');
  expect(recordingCostSection(matrix)).toContain(
    '| -M prepared, 8 clients | pgtrail batched | 0.78x | 0.70x | not met | 100.0 µs | 50.0 µs | 50.0 µs |',
  );
});

test('no section when the relay or pgtrail batched did not run', () => {
  expect(recordingCostSection(matrix.filter((r) => r.target !== 'node-relay'))).toBeNull();
  expect(recordingCosts(matrix.filter((r) => r.target !== 'pgtrail-batched'))).toEqual([]);
});

test('the writer-left-out target is compared with the relay on its own lines, and only when asked for', () => {
  const withUnwritten: MatrixResult[] = [
    ...matrix,
    { target: 'pgtrail-unwritten', cell, samples: [sample(8_000, 6), sample(7_600, 5.7), sample(8_100, 6.1)] },
  ];
  const [cost] = recordingCosts(withUnwritten, unwrittenTarget);
  expect(cost?.tpsRatio).toBeCloseTo(8_000 / 9_000, 10);
  expect(recordingCostLines([cost!])[0]).toContain('pgtrail, writer left out / Node relay 0.89x');
  // The batched comparison (and the report's section) ignore it.
  expect(recordingCosts(withUnwritten)).toEqual(recordingCosts(matrix));
});

test('recording on the forwarding thread has its own row in the section, after batched', () => {
  const withInline: MatrixResult[] = [
    ...matrix,
    { target: 'pgtrail-batched-inline', cell, samples: [sample(8_500, 6), sample(7_400, 5.5), sample(8_200, 6.1)] },
  ];
  const [cost] = recordingCosts(withInline, inlineTarget);
  // Per round: 0.85, 0.925, 0.911.
  expect(cost?.pairedRatio).toBeCloseTo(8_200 / 9_000, 10);
  const section = recordingCostSection(withInline) ?? '';
  const rows = section.split('\n').filter((line) => line.startsWith('| -M prepared'));
  expect(rows).toHaveLength(2);
  expect(rows[1]).toContain('| pgtrail batched, forwarding thread | 0.91x | 0.91x | met |');
});

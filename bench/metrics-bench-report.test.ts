import { expect, test } from 'vitest';
import {
  cpuVerdict,
  ratioSpread,
  renderMetricsBench,
  summariseMetricsBench,
  tpsVerdict,
  type MetricsBenchResult,
  type MetricsRun,
} from './metrics-bench-report.js';

const run = (round: number, scrapeIntervalS: number | null, tps: number, cpuUsPerTx: number): MetricsRun => ({
  round,
  scrapeIntervalS,
  tps,
  cpuUsPerTx,
  scrapes: scrapeIntervalS === null ? 0 : 3,
});

// Round 2 ran on a busier machine: every side costs more there, which the per-round ratios cancel.
const result: MetricsBenchResult = {
  runs: [
    run(1, null, 5000, 100),
    run(1, 1, 4900, 104),
    run(1, 15, 5000, 101),
    run(2, 1, 2000, 208),
    run(2, 15, 2100, 200),
    run(2, null, 2100, 200),
    run(3, 15, 5100, 99),
    run(3, null, 5000, 100),
    run(3, 1, 4800, 105),
  ],
  settings: { mode: 'simple', clients: 8, seconds: 20, threads: 2 },
  rounds: 3,
  intervalsS: [1, 15],
  warmupSeconds: 3,
  concurrent: false,
};

test('each scrape interval is compared with the off run of the same round', () => {
  const [off, every1, every15] = summariseMetricsBench(result);
  expect(off?.intervalS).toBeNull();
  expect(off?.cpuRatio).toBeNull();
  expect(off?.medianCpuUsPerTx).toBe(100);
  expect(every1?.cpuRatio?.mean).toBeCloseTo((1.04 + 1.04 + 1.05) / 3, 10);
  expect(every1?.cpuRatio?.min).toBeCloseTo(1.04, 10);
  expect(every15?.cpuRatio?.mean).toBeCloseTo((1.01 + 1 + 0.99) / 3, 10);
  expect(every15?.tpsRatio?.max).toBeCloseTo(5100 / 5000, 10);
});

test('the 95 % interval uses Student t for the number of rounds', () => {
  const r = ratioSpread([1, 1.02, 1.04]);
  expect(r.mean).toBeCloseTo(1.02, 10);
  expect(r.sd).toBeCloseTo(0.02, 10);
  // t(0.975, 2 degrees of freedom) = 4.303
  expect(r.high - r.mean).toBeCloseTo((4.303 * 0.02) / Math.sqrt(3), 6);
});

test('the budget is met or missed only when the whole interval says so', () => {
  expect(cpuVerdict(ratioSpread([1.0, 1.01, 1.0, 1.01]))).toBe('met');
  expect(cpuVerdict(ratioSpread([1.1, 1.11, 1.1, 1.11]))).toBe('missed');
  expect(cpuVerdict(ratioSpread([0.95, 1.1, 0.98, 1.06]))).toBe('not resolved');
  expect(tpsVerdict(ratioSpread([0.99, 1.0, 1.0, 0.99]))).toBe('met');
  expect(tpsVerdict(ratioSpread([0.9, 0.91, 0.9, 0.91]))).toBe('missed');
});

test('the Markdown section lists every side and every run', () => {
  const md = renderMetricsBench(result);
  expect(md).toContain('| metrics off | 5000 | 100.0 µs |');
  expect(md).toContain('| on, scraped every 15 s |');
  expect(md.match(/^\| \d \| /gm)).toHaveLength(9);
  expect(md).toContain('one after another');
  expect(renderMetricsBench({ ...result, concurrent: true })).toContain('at once, each driven by its own pgbench');
});

test('at a fixed rate a round in which either run fell short of the rate is left out', () => {
  const fixed: MetricsBenchResult = {
    ...result,
    settings: { ...result.settings, rate: 5000 },
    intervalsS: [15],
    runs: [run(1, null, 5000, 100), run(1, 15, 4990, 102), run(2, null, 4990, 100), run(2, 15, 4000, 130)],
    rounds: 2,
  };
  const [, every15] = summariseMetricsBench(fixed);
  expect(every15?.cpuRatio?.n).toBe(1);
  expect(every15?.cpuRatio?.mean).toBeCloseTo(1.02, 10);
  expect(renderMetricsBench(fixed)).toContain('1 of 2 here');
  // Unthrottled, every round counts.
  const { rate: _rate, ...unthrottled } = fixed.settings;
  const [, all] = summariseMetricsBench({ ...fixed, settings: unthrottled });
  expect(all?.cpuRatio?.n).toBe(2);
});

/**
 * What recording costs against forwarding alone (issue 16): pgtrail with `batched` durability
 * against the bare Node relay (bench/node-relay.ts) measured in the same `npm run bench`, per
 * pgbench setting. The target is batched at >= 0.80x the relay's TPS.
 */
import { median, type MatrixResult } from './pgbench-matrix.js';

/** The TPS share of the relay that pgtrail batched must keep. */
export const recordingTarget = 0.8;

/** The opt-in target that records as batched up to the writer and leaves the writer out (bench/unwritten-sink.ts). */
export const unwrittenTarget = { key: 'pgtrail-unwritten', label: 'pgtrail, writer left out' } as const;
const batchedTarget = { key: 'pgtrail-batched', label: 'pgtrail batched' } as const;
/** Batched with recording.thread off: the observer and the writer on the forwarding thread (docs/recording-thread.md). */
export const inlineTarget = { key: 'pgtrail-batched-inline', label: 'pgtrail batched, forwarding thread' } as const;

/** One setting's comparison of pgtrail batched with the Node relay. */
export interface RecordingCost {
  readonly setting: string;
  /** What was compared with the relay (pgtrail batched unless said otherwise). */
  readonly label: string;
  /** Median batched TPS / median relay TPS. */
  readonly tpsRatio: number;
  /** Median of the per-round ratios (the two ran back to back in each round: less drift between them). */
  readonly pairedRatio: number;
  /** Proxy CPU microseconds per transaction over all rounds. */
  readonly relayCpuUs: number | null;
  readonly batchedCpuUs: number | null;
}

function cpuUsPerTx(result: MatrixResult): number | null {
  if (result.samples.some((s) => s.proxyCpuSeconds === null)) return null;
  const seconds = result.samples.reduce((n, s) => n + (s.proxyCpuSeconds ?? 0), 0);
  const transactions = result.samples.reduce((n, s) => n + s.transactions, 0);
  return transactions > 0 ? (seconds * 1e6) / transactions : null;
}

/** Batched (or `target`) against relay for every setting where both ran (empty when either target was left out). */
export function recordingCosts(
  matrix: readonly MatrixResult[],
  target: { readonly key: string; readonly label: string } = batchedTarget,
): RecordingCost[] {
  const out: RecordingCost[] = [];
  for (const relay of matrix.filter((r) => r.target === 'node-relay')) {
    const batched = matrix.find(
      (r) => r.target === target.key && r.cell.mode === relay.cell.mode && r.cell.clients === relay.cell.clients,
    );
    if (batched === undefined || batched.samples.length === 0 || relay.samples.length === 0) continue;
    const rounds = Math.min(batched.samples.length, relay.samples.length);
    const paired: number[] = [];
    for (let i = 0; i < rounds; i++) paired.push((batched.samples[i]?.tps ?? 0) / (relay.samples[i]?.tps ?? 0));
    out.push({
      setting: `-M ${relay.cell.mode}, ${relay.cell.clients} clients`,
      label: target.label,
      tpsRatio: median(batched.samples.map((s) => s.tps)) / median(relay.samples.map((s) => s.tps)),
      pairedRatio: median(paired),
      relayCpuUs: cpuUsPerTx(relay),
      batchedCpuUs: cpuUsPerTx(batched),
    });
  }
  return out;
}

const us = (value: number | null): string => (value === null ? 'n/a' : `${value.toFixed(1)} µs`);
const verdict = (c: RecordingCost): string => (c.tpsRatio >= recordingTarget ? 'met' : 'not met');
const x = (value: number): string => `${value.toFixed(2)}x`;

/** One line per setting, for the bench's log, so the ratio can be read off a run. */
export function recordingCostLines(costs: readonly RecordingCost[]): string[] {
  return costs.map((c) =>
    [
      `${c.setting}: ${c.label} / Node relay ${x(c.tpsRatio)}`,
      `(per round ${x(c.pairedRatio)}; target ${x(recordingTarget)} ${verdict(c)}),`,
      `proxy CPU ${us(c.batchedCpuUs)} against ${us(c.relayCpuUs)} per transaction`,
    ].join(' '),
  );
}

/** The report's section, or null when the run measured the relay or pgtrail batched not at all. */
export function recordingCostSection(matrix: readonly MatrixResult[]): string | null {
  const costs = [...recordingCosts(matrix), ...recordingCosts(matrix, inlineTarget)];
  if (costs.length === 0) return null;
  const rows = costs.map((c) => {
    const added = c.batchedCpuUs !== null && c.relayCpuUs !== null ? us(c.batchedCpuUs - c.relayCpuUs) : 'n/a';
    const cells = [
      c.setting,
      c.label,
      x(c.tpsRatio),
      x(c.pairedRatio),
      verdict(c),
      us(c.batchedCpuUs),
      us(c.relayCpuUs),
      added,
    ];
    return `| ${cells.join(' | ')} |`;
  });
  const intro = [
    'pgtrail with `batched` durability, recording on a recording thread as it does by default and on the forwarding thread',
    '(`recording.thread: false`, docs/recording-thread.md), against the bare Node relay, same run: the ratio of median TPS,',
    'the median of the per-round ratios (the two ran back to back in each round),',
    `whether it meets the target of ${x(recordingTarget)},`,
    'and the proxy CPU per transaction of each, all threads (what recording adds is the difference).',
  ].join(' ');
  return [
    '## Recording against forwarding alone',
    '',
    intro,
    '',
    '| setting | pgtrail | / relay TPS | per round | target | pgtrail CPU/tx | relay CPU/tx | recording adds |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

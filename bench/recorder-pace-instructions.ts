/**
 * What the recorder service costs per record at pgbench's pace (issue 19), counted in instructions
 * (valgrind callgrind) rather than time, so that other work on the machine does not move it. A
 * `pgtrail recorder` process runs under callgrind with instrumentation off; this process is one
 * proxy (recorder/remote/recorder-link.ts) that sends fixed Batches of `statement` events, each the
 * bytes a batched RemoteSink sends for a merged statement (statement-merge.ts, event-json.ts), and
 * waits for each Batch's Ack before the next. Phases:
 * - warm-up (not counted): `--warmup` Batches, with a pause in the middle (see below), so that V8
 *   has optimised the hot path as it stays under a steady load;
 * - paced: `--batches` Batches of `--events` events, one every `--interval` ms (under callgrind a
 *   Batch takes far longer than the 10 ms of RemoteSink's pace, so the interval is wider, and the
 *   idle rate is what corrects for that);
 * - idle: instrumentation on for `--idle` seconds with nothing sent: what timers cost per second.
 * Prints instructions per Batch (paced total less the idle rate times its duration) and per record at
 * RemoteSink's pace: (per Batch + idle rate x `--pace` ms) / events. The events, their order and the
 * sequence numbers are the same on every run (a fresh journal each time). Two runs of the same code
 * agree within about 1 %, unless V8 still compiled something inside the measured phase (then a run
 * reads some 5-10 % higher: with --keep and --node-option=--perf-basic-prof, callgrind_annotate shows
 * v8::internal::compiler functions). Callgrind counts user-space instructions only: with --cpu the
 * recorder's user and system CPU are printed apart (at this pace about a third is system time, most
 * of it the journal's O_DSYNC write, which a local journal pays as often).
 *
 * Usage: npm run build && node dist/bench/recorder-pace-instructions.js [--batches N] [--events N]
 *   [--warmup N] [--idle S] [--interval MS] [--pace MS] [--cpu (no valgrind: recorder CPU µs from /proc)]
 *   [--keep (keep the temporary directory: the journal, callgrind's dumps)] [--node-option OPT ...]
 *   [--recorder-output FILE (the recorder's stdout and stderr, phases marked)]
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { writeEventJson } from '../recorder/event-json.js';
import { RecorderLink } from '../recorder/remote/recorder-link.js';
import { combineStatement } from '../recorder/statement-record.js';
import { statementFinished, statementStarted } from '../recorder/testing/sample-events.js';
import { encodeBatch } from '../recorder/wire/recorder-frames.js';
import { freePort } from '../embedded/postgres-server.js';
import { benchRecorderToken, startPgtrailCommand } from './bench-pgtrail-command.js';
import { processCpuSeconds } from './process-cpu.js';

const sessions = 8;

/** The JSON bytes of merged statement `n` (of session n mod 8), as RemoteSink serialises it. */
function statementBytes(n: number): Buffer {
  const session = `bench-session-${n % sessions}`;
  const event = combineStatement(statementStarted(session, n), statementFinished(session, n));
  const out = Buffer.alloc(4096);
  return Buffer.from(out.subarray(0, writeEventJson(event, out, 0)));
}

/** The Batch frames: `count` Batches of `events` events, numbered from 1. */
function batchFrames(count: number, events: number): Buffer[] {
  const frames: Buffer[] = [];
  for (let b = 0; b < count; b++) {
    const first = b * events + 1;
    frames.push(
      encodeBatch(
        first,
        Array.from({ length: events }, (_, i) => statementBytes(first + i)),
      ),
    );
  }
  return frames;
}

/** The totals line of the callgrind dumps in `dir` whose names end with `.N` (a `callgrind_control -d`). */
function dumpedInstructions(dir: string, pid: number, n: number): number {
  const name = `callgrind.out.${pid}.${n}`;
  for (let tries = 0; tries < 100; tries++) {
    if (readdirSync(dir).includes(name)) {
      const match = /^totals: (\d+)/m.exec(readFileSync(join(dir, name), 'utf8'));
      if (match !== null) return Number(match[1]);
    }
    execFileSync('sleep', ['0.1']);
  }
  throw new Error(`no callgrind dump ${name}`);
}

/** User and system CPU seconds of a process (/proc/PID/stat fields 14 and 15, at 100 ticks a second). */
function processCpuSplit(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(fields[11]) / 100, Number(fields[12]) / 100];
}

function callgrindControl(pid: number, ...args: string[]): void {
  execFileSync('callgrind_control', [...args, String(pid)], { stdio: 'ignore' });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      batches: { type: 'string', default: '40' },
      events: { type: 'string', default: '90' },
      warmup: { type: 'string', default: '2000' },
      idle: { type: 'string', default: '10' },
      interval: { type: 'string', default: '400' },
      pace: { type: 'string', default: '10' },
      cpu: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'node-option': { type: 'string', multiple: true, default: [] },
      'recorder-output': { type: 'string' },
    },
  });
  const batches = Number(values.batches);
  const events = Number(values.events);
  const warmup = Number(values.warmup);
  const idleSeconds = Number(values.idle);
  const intervalMs = Number(values.interval);
  const paceMs = Number(values.pace);
  const useValgrind = !values.cpu;
  const dir = mkdtempSync(join(tmpdir(), 'pgtrail-pace-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${benchRecorderToken}\n`);
  const port = await freePort();
  const frames = batchFrames(warmup + batches, events);
  const recorder = await startPgtrailCommand(
    ['recorder', '--listen', `127.0.0.1:${port}`, '--journal', join(dir, 'journal'), '--token-file', tokenFile],
    /recorder listening on (ws:\/\/\S+)/,
    useValgrind
      ? ['valgrind', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${join(dir, 'callgrind.out.%p')}`]
      : [],
    600_000,
    values['node-option'],
  );
  const pid = recorder.pid;
  // The recorder's output (with --node-option=--trace-opt, what V8 compiles), phases marked in it.
  const outputFile = values['recorder-output'];
  const mark = (phase: string): void => {
    if (outputFile !== undefined) appendFileSync(outputFile, `=== ${phase}\n`);
  };
  if (outputFile !== undefined) {
    writeFileSync(outputFile, '');
    const copy = (data: Buffer): void => appendFileSync(outputFile, data);
    recorder.process.stdout?.on('data', copy);
    recorder.process.stderr?.on('data', copy);
  }
  let acked = 0;
  let closing = false;
  let onAck: () => void = () => {};
  let welcomed: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    welcomed = resolve;
  });
  const link = new RecorderLink({
    url: recorder.ready[1] ?? '',
    token: benchRecorderToken,
    instance: 'pace-bench',
    tls: null,
    logger: pino({ level: 'silent' }),
    onWelcome: () => welcomed(),
    onAck: (seq) => {
      acked = seq;
      onAck();
    },
    onDown: () => {
      if (!closing) process.stderr.write('bench: the link to the recorder went down\n');
    },
  });
  link.start();
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const sendAndWait = async (b: number): Promise<void> => {
    const last = (b + 1) * events;
    const done = new Promise<void>((resolve) => {
      onAck = () => {
        if (acked >= last) resolve();
      };
    });
    if (!link.send(frames[b]!)) throw new Error('the link is not open');
    await done;
  };
  try {
    await ready;
    // Warm-up in two halves around a pause longer than the writer's idle checkpoint (checkpointEveryMs,
    // 10 s): the first idle checkpoint changes object shapes and deoptimises the hot path once.
    for (let b = 0; b < warmup; b++) {
      if (b === Math.floor(warmup / 2)) await sleep(12_000);
      await sendAndWait(b);
    }
    await sleep(1000);
    mark('warmed up');
    const measure = async (run: () => Promise<void>, dump: number): Promise<{ count: number; ms: number }> => {
      const cpuBefore = processCpuSeconds(pid);
      const [userBefore, systemBefore] = useValgrind ? [0, 0] : processCpuSplit(pid);
      if (useValgrind) {
        callgrindControl(pid, '-z');
        callgrindControl(pid, '-i', 'on');
      }
      const started = performance.now();
      await run();
      const ms = performance.now() - started;
      if (!useValgrind) {
        const [user, system] = processCpuSplit(pid);
        process.stdout.write(
          `  recorder CPU: user ${((user - userBefore) * 1e6).toFixed(0)} µs, system ${((system - systemBefore) * 1e6).toFixed(0)} µs\n`,
        );
        return { count: (processCpuSeconds(pid) - cpuBefore) * 1e6, ms };
      }
      callgrindControl(pid, '-i', 'off');
      callgrindControl(pid, '-d');
      return { count: dumpedInstructions(dir, pid, dump), ms };
    };
    mark('paced');
    const paced = await measure(async () => {
      const started = performance.now();
      for (let b = 0; b < batches; b++) {
        await sendAndWait(warmup + b);
        const next = started + (b + 1) * intervalMs;
        await sleep(Math.max(0, next - performance.now()));
      }
    }, 1);
    mark('idle');
    const idle = await measure(() => sleep(idleSeconds * 1000), 2);
    mark('done');
    const unit = useValgrind ? 'instructions' : 'CPU µs';
    const idlePerSecond = idle.count / (idle.ms / 1000);
    const perBatch = (paced.count - idlePerSecond * (paced.ms / 1000)) / batches;
    const perRecord = (perBatch + (idlePerSecond * paceMs) / 1000) / events;
    const fixed = (n: number) => (useValgrind ? Math.round(n).toLocaleString('en') : n.toFixed(2));
    process.stdout.write(
      `${unit}: idle ${fixed(idlePerSecond)}/s; paced ${fixed(paced.count)} over ${batches} batches of ${events} in ${(paced.ms / 1000).toFixed(1)} s; ` +
        `per batch ${fixed(perBatch)}; per record ${fixed(perBatch / events)}, at one batch per ${paceMs} ms ${fixed(perRecord)}\n`,
    );
  } finally {
    closing = true;
    link.close();
    await recorder.stop();
    if (values.keep) process.stdout.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
});

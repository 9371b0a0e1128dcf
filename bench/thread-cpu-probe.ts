/**
 * Per-thread CPU of one proxy process under pgbench -S (8 clients unless told; issue 16), from /proc/PID/task/TID/stat,
 * in µs per transaction for each thread that used any: tells the forwarding thread's cost from the
 * recording thread's (recording.thread) and from V8's and libuv's helper threads. Starts its own
 * embedded PostgreSQL; three runs after a warm-up:
 *   npm run build && node dist/bench/thread-cpu-probe.js [relay|off|batched|batched-inline|strict] [simple|prepared] [seconds] [clients]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { embeddedBinaries } from '../embedded/postgres-binaries.js';
import { startPostgres } from '../embedded/postgres-server.js';
import { benchDatabase, benchRole, prepareBenchDatabase } from './bench-database.js';
import { runPgbench } from './pgbench.js';
import { startPgtrailProcess } from './pgtrail-process.js';
import type { RecordingMode } from './proxy-process-messages.js';

const ticks = 100;
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(fields[11]) + Number(fields[12])) / ticks;
    out.set(`${tid} ${name}`, cpu);
  }
  return out;
}

const mode = (process.argv[2] ?? 'batched') as RecordingMode;
const protocol = (process.argv[3] ?? 'simple') as 'simple' | 'prepared';
const seconds = Number(process.argv[4] ?? 10);
const clients = Number(process.argv[5] ?? 8);
const server = await startPostgres(embeddedBinaries());
try {
  await prepareBenchDatabase(server, 10);
  const proxy = await startPgtrailProcess({
    mode,
    upstreamHost: server.host,
    upstreamPort: server.port,
    cpuProfileDir: null,
  });
  const target = {
    host: proxy.host,
    port: proxy.port,
    user: benchRole.user,
    password: benchRole.password,
    database: benchDatabase,
  };
  await runPgbench(target, { mode: protocol, clients, seconds: 2, threads: 2 });
  for (let round = 0; round < 3; round++) {
    const before = threadCpu(proxy.pid);
    const r = await runPgbench(target, { mode: protocol, clients, seconds, threads: 2 });
    const after = threadCpu(proxy.pid);
    const rows = [...after].map(([k, v]) => [k, ((v - (before.get(k) ?? 0)) / r.transactions) * 1e6] as const);
    const busy = rows.filter(([, us]) => us > 0.2).map(([k, us]) => `${k}: ${us.toFixed(1)} µs/tx`);
    console.log(`${mode} ${protocol} ${clients}: ${r.tps.toFixed(0)} tps; ${busy.join('; ')}`);
  }
  await proxy.stop();
} finally {
  await server.stop();
}

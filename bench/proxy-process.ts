/**
 * A child process of the benchmark (forked by pgtrail-process.ts): runs one proxy on 127.0.0.1 and
 * answers the harness over IPC (garbage collection for RSS readings, journal counters, stop).
 * Its one argument is a ProxyProcessSettings in JSON.
 */
import { startNodeRelay } from './node-relay.js';
import type { ProxyProcessReply, ProxyProcessRequest, ProxyProcessSettings } from './proxy-process-messages.js';
import type { SyncCounters } from './pgbench-matrix.js';

/** What the child runs, whichever proxy it is. */
interface RunningProxy {
  readonly host: string;
  readonly port: number;
  counters(): SyncCounters | null;
  close(): Promise<void>;
}

const reply = (message: ProxyProcessReply): void => {
  process.send?.(message);
};

async function startRelay(settings: ProxyProcessSettings): Promise<RunningProxy> {
  const relay = await startNodeRelay(settings.upstreamHost, settings.upstreamPort);
  return { host: relay.address.address, port: relay.address.port, counters: () => null, close: () => relay.close() };
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as ProxyProcessSettings; // written by pgtrail-process.ts
  const proxy = await startRelay(settings);
  process.on('message', (request: ProxyProcessRequest) => {
    switch (request.type) {
      case 'gc':
        globalThis.gc?.();
        reply({ type: 'gc' });
        break;
      case 'counters':
        reply({ type: 'counters', counters: proxy.counters() });
        break;
      case 'stop':
        void proxy.close().then(() => {
          reply({ type: 'stop' });
          process.disconnect?.();
          process.exit(0);
        });
        break;
    }
  });
  reply({ type: 'ready', host: proxy.host, port: proxy.port });
}

main().catch((err: unknown) => {
  reply({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
  process.disconnect?.();
});

/** Starts a pgtrail proxy in front of a test PostgreSQL, for the proxy integration tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Config, LimitsConfig, ClientTlsConfig, UpstreamTlsConfig } from '../../config/config.js';
import { defaultConfig } from '../../config/defaults.js';
import type { PostgresInfo } from '../../embedded/postgres-server.js';
import { makeTlsFiles } from '../../embedded/tls-files.js';
import type { EventSink, TrailEvent } from '../../recorder/events.js';
import { startProxy, type ProxyHandle } from '../../proxy/server.js';
import { silentObserver, type ObserverFactory } from '../../proxy/traffic-observer.js';
import type { TapFactory } from '../../proxy/traffic-tap.js';

/** What a test may change from the defaults. */
export interface TestProxyOptions {
  readonly tls?: Partial<ClientTlsConfig>;
  readonly upstreamTls?: Partial<UpstreamTlsConfig>;
  readonly limits?: Partial<LimitsConfig>;
  readonly observe?: ObserverFactory;
  readonly sink?: EventSink;
  /** Sessions go whole to this tap instead (recording on a worker thread). */
  readonly tap?: TapFactory;
}

/** A running proxy and the events it emitted. */
export interface TestProxy {
  readonly proxy: ProxyHandle;
  readonly host: string;
  readonly port: number;
  readonly events: TrailEvent[];
  close(): Promise<void>;
}

/** A Config pointing at `pg`, listening on a free port of 127.0.0.1, upstream TLS off unless asked. */
export function testProxyConfig(pg: PostgresInfo, options: TestProxyOptions = {}): Config {
  return {
    ...defaultConfig,
    listen: { host: '127.0.0.1', port: 0 },
    upstream: {
      ...defaultConfig.upstream,
      host: pg.host,
      port: pg.port,
      tls: { mode: 'disable', caFile: null, serverName: null, ...options.upstreamTls },
    },
    tls: { ...defaultConfig.tls, mode: 'disable', ...options.tls },
    limits: { ...defaultConfig.limits, shutdownGraceMs: 1_000, ...options.limits },
    log: { level: 'silent' },
  };
}

/** Starts a proxy for a test; events go to `events` (and to options.sink when given). */
export async function startTestProxy(pg: PostgresInfo, options: TestProxyOptions = {}): Promise<TestProxy> {
  const events: TrailEvent[] = [];
  const sink: EventSink = {
    record: (event) => {
      events.push(event);
      return options.sink ? options.sink.record(event) : null;
    },
  };
  const logger = pino({ level: process.env.PGTRAIL_TEST_LOG ?? 'silent' });
  const proxy = await startProxy({
    config: testProxyConfig(pg, options),
    logger,
    sink,
    observe: options.observe ?? silentObserver,
    ...(options.tap ? { tap: options.tap } : {}),
  });
  return { proxy, host: proxy.address.host, port: proxy.address.port, events, close: () => proxy.close() };
}

/** A test proxy with TLS on both legs, the CA its certificate chains to, and its temporary folder. */
export interface TlsTestProxy extends TestProxy {
  /** The folder holding the proxy's TLS files (a test may put its own files there); removed by close(). */
  readonly dir: string;
  /** The CA that signed the proxy's certificate for `localhost`, for clients verifying it. */
  readonly caFile: string;
}

/**
 * Starts a proxy whose client leg offers TLS (`clientTls`: allow or require) with a fresh certificate
 * for localhost, and whose upstream leg is TLS verify-full against the test server's CA. close()
 * stops it and removes its folder.
 */
export async function startTlsTestProxy(
  pg: PostgresInfo,
  clientTls: 'allow' | 'require',
  options: TestProxyOptions = {},
): Promise<TlsTestProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'pgtrail-tls-proxy-'));
  try {
    const certs = makeTlsFiles(dir, 'localhost');
    const proxy = await startTestProxy(pg, {
      ...options,
      tls: { mode: clientTls, certFile: certs.certFile, keyFile: certs.keyFile },
      upstreamTls: { mode: 'verify-full', caFile: pg.caFile },
    });
    return {
      ...proxy,
      dir,
      caFile: certs.caFile,
      close: async () => {
        await proxy.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

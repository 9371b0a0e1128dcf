import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { identityStrategySelector } from '../proxy/identity/managed-auth-strategy.js';
import { ManagedIdentity } from '../proxy/identity/managed-identity.js';
import { startProxy, type ProxyHandle } from '../proxy/server.js';
import { createStatementObserver, systemClock } from '../proxy/statements/statement-observer.js';
import { openRecorder, type Recorder } from '../recorder/recorder.js';
import type { RunningViewer } from '../web/server/viewer-server.js';
import type { CommandContext } from './cli.js';
import { runViewer } from './run-viewer.js';

/** The proxy and its recorder, running in this process (what `start` and `demo` run). */
export interface RunningProxy {
  readonly proxy: ProxyHandle;
  readonly recorder: Recorder;
  /** The web viewer, when viewer.enabled is set. */
  readonly viewer: RunningViewer | null;
  /** Drains sessions, then writes the final checkpoint and releases the journal. */
  stop(): Promise<void>;
}

/**
 * Opens the journal, starts the proxy with the statement observer recording into it, and prints
 * where it listens and the journal's verifier key.
 */
export async function runProxy(config: Config, logger: Logger, ctx: CommandContext): Promise<RunningProxy> {
  // Proxy-managed identity when the config's identity section enables a method, else passthrough.
  // Built first: a bad identity section or an unreadable secret stops the start before the journal opens.
  const identity = ManagedIdentity.fromConfig(config, { readFile: (path) => readFileSync(path), env: ctx.env });
  const recorder = await openRecorder(config.journal, config.recording, (error) => {
    logger.error({ code: error.code }, 'journal failed closed');
  });
  if (recorder.keyCreated) ctx.stdout.write(`pgtrail: created a signing key for ${config.journal.dir}\n`);
  ctx.stdout.write(
    `pgtrail: journal ${config.journal.dir} (${config.journal.durability}), verifier key ${recorder.verifierKey}\n`,
  );
  const observe = createStatementObserver({
    recording: config.recording,
    clock: systemClock,
    onInternalError: (err) =>
      logger.error({ err: err instanceof Error ? err.name : 'unknown' }, 'statement observer failed'),
  });
  let proxy: ProxyHandle;
  try {
    proxy = await startProxy({
      config,
      logger,
      sink: recorder.sink,
      observe,
      selectStrategy: identityStrategySelector(identity),
    });
  } catch (err) {
    await recorder.close();
    throw err;
  }
  ctx.stdout.write(
    `pgtrail: listening on ${proxy.address.host}:${proxy.address.port}, forwarding to ${config.upstream.host}:${config.upstream.port}\n`,
  );
  // The viewer of this process records its viewings through this process's writer: one writer per journal.
  let viewer: RunningViewer | null = null;
  if (config.viewer.enabled) {
    try {
      viewer = await runViewer(config, config.journal.dir, (event) => recorder.writer.append(event), logger, ctx);
    } catch (err) {
      await proxy.close();
      await recorder.close();
      throw err;
    }
  }
  return {
    proxy,
    recorder,
    viewer,
    stop: async () => {
      await viewer?.close();
      await proxy.close();
      await recorder.close();
    },
  };
}

/** Resolves with the first of SIGTERM or SIGINT. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

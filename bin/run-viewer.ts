import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { createJwtVerifier } from '../proxy/identity/jwt-verifier.js';
import type { TrailEvent } from '../recorder/events.js';
import { startViewer, type RunningViewer } from '../web/server/viewer-server.js';
import type { CommandContext } from './cli.js';

/**
 * Starts the web viewer over `journalDir` with the config's viewer and identity.jwt settings,
 * recording viewings through `append`, and prints the line `viewer: <url>` (the URL carries the
 * login token).
 */
export async function runViewer(
  config: Config,
  journalDir: string,
  append: (event: TrailEvent) => Promise<void>,
  logger: Logger,
  ctx: CommandContext,
): Promise<RunningViewer> {
  const jwt =
    config.identity.jwt.issuer === null ? null : createJwtVerifier(config.identity.jwt, (p) => readFileSync(p));
  const viewer = await startViewer({
    journalDir,
    host: config.viewer.listen.host,
    port: config.viewer.listen.port,
    sessionTtlMs: config.viewer.sessionTtlMs,
    jwt,
    append,
    logger,
  });
  ctx.stdout.write(`viewer: ${viewer.url}\n`);
  return viewer;
}

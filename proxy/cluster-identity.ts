/**
 * The upstream cluster's identity, for the journal: PostgreSQL's `system_identifier` (set by initdb,
 * shared by physical replicas and base-backup copies of the cluster, different for every other
 * cluster). `pgtrail replay --to` reads the same value from its target and refuses to re-execute a
 * session on the cluster it was recorded against, whatever address or proxy leads there
 * (docs/search-and-replay.md).
 *
 * pgtrail in passthrough holds no database credentials of its own, so it asks once per proxy
 * process on the first session's own upstream connection, after the server's ReadyForQuery and
 * before the client gets its own: one round trip for that first session, none for any other and
 * never on a statement's path. The query is `SELECT system_identifier FROM
 * pg_catalog.pg_control_system()`, which every role may run by default (measured on PostgreSQL 15
 * and 18). When it fails (the function revoked, a physical replication connection, which runs no
 * SQL), the identity stays unknown (null) for this process and is not asked again.
 */
import { upstreamProtocolViolation } from './backend-error.js';
import { query } from './protocol/frontend-messages.js';
import { BackendCode } from './protocol/message-codes.js';
import type { StartupMessage } from './protocol/startup-packet.js';
import type { UpstreamLink } from './upstream-link.js';

/** The probe pgtrail runs, exactly; schema-qualified so that a session's search_path cannot change it. */
export const clusterIdentityQuery = 'SELECT system_identifier FROM pg_catalog.pg_control_system()';

/** Learns the upstream cluster's system identifier once per process and remembers it. */
export class ClusterIdentity {
  // undefined: not asked yet; a promise: asked (its result is the identifier, or null when unknown).
  #answer: Promise<string | null> | undefined;

  /**
   * The cluster's system identifier (decimal), asking on `upstream` when nobody has asked yet;
   * sessions that start while the first one asks wait for its answer. Throws only when the upstream
   * connection itself breaks the protocol (the session fails as it would have anyway).
   */
  learn(upstream: UpstreamLink, startup: StartupMessage): Promise<string | null> {
    if (this.#answer !== undefined) return this.#answer;
    if (isReplication(startup)) return Promise.resolve(null);
    const asked = ask(upstream);
    // A broken connection fails only its own session; the next session asks again.
    this.#answer = asked.catch(() => {
      this.#answer = undefined;
      return null;
    });
    return asked;
  }
}

// replication=true|on|yes|1 opens a walsender that runs no SQL; "database" (logical) runs SQL but
// is left alone as well: a replication client expects exactly the server's replies.
function isReplication(startup: StartupMessage): boolean {
  const value = startup.params.get('replication');
  return value !== undefined && !/^(false|off|no|0)$/i.test(value);
}

/** Sends the probe and reads its reply up to ReadyForQuery; null when the server refused it. */
async function ask(upstream: UpstreamLink): Promise<string | null> {
  upstream.channel.write(query(clusterIdentityQuery));
  let answer: string | null = null;
  let failed = false;
  for (;;) {
    const { code, body } = await upstream.channel.readMessage();
    if (code === BackendCode.RowDescription || code === BackendCode.CommandComplete) continue;
    if (code === BackendCode.NoticeResponse || code === BackendCode.ParameterStatus) continue;
    if (code === BackendCode.DataRow) answer = firstColumn(body);
    else if (code === BackendCode.ErrorResponse) failed = true;
    else if (code === BackendCode.ReadyForQuery) {
      if (body.length !== 1 || body[0] !== 0x49 /* 'I': idle, no transaction */)
        throw upstreamProtocolViolation('server left the identity probe in a transaction');
      return failed ? null : answer;
    } else throw upstreamProtocolViolation('server sent an unexpected message to the identity probe');
  }
}

// DataRow: Int16 column count, then per column Int32 length (-1 for NULL) and the bytes (text format).
function firstColumn(body: Buffer): string | null {
  if (body.length < 6 || body.readInt16BE(0) !== 1) throw upstreamProtocolViolation('malformed identity probe row');
  const length = body.readInt32BE(2);
  if (length < 0) return null;
  if (length > 20 || 6 + length !== body.length) throw upstreamProtocolViolation('malformed identity probe row');
  const text = body.toString('latin1', 6);
  return /^[0-9]{1,20}$/.test(text) ? text : null;
}

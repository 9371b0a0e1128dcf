import { sinkRefusal, type SessionOpened } from '../recorder/events.js';
import { BackendError } from './backend-error.js';
import { negotiateClientStartup } from './client-startup.js';
import { IdentityRefusal } from './identity/managed-auth-strategy.js';
import { negotiateProtocolVersion } from './protocol/backend-messages.js';
import { parseErrorFields } from './protocol/error-fields.js';
import type { StartupMessage } from './protocol/startup-packet.js';
import { startForwarding } from './session-forwarding.js';
import type { SessionState, StartupAttempt } from './session-state.js';
import { readStartupRest } from './startup-rest.js';
import { connectUpstream } from './upstream-connect.js';

const SESSION_OPENED_NOT_RECORDED = 'the session could not be recorded';

type Attempt = StartupAttempt;

/**
 * The startup of one connection: negotiation (TLS, cancel), then authentication and the rest of the
 * server's startup, then session.opened and forwarding. Throws BackendError for the client to be
 * told; a refused authentication is recorded as session.auth_failed first.
 */
export async function runStartup(s: SessionState): Promise<void> {
  const { deps } = s;
  const started = await negotiateClientStartup(s.socket, {
    mode: deps.config.tls.mode,
    tls: deps.clientTls,
    maxMessageBytes: deps.config.limits.maxMessageBytes,
    onChannel: (channel) => {
      s.clientChannel = channel;
    },
  });
  if (started.kind === 'cancel') {
    s.outcome = 'cancel_request';
    handleCancel(s, started.request.pid, started.request.secret);
    started.socket.end();
    return;
  }
  const attempt = attemptOf(started.startup);
  s.attempt = attempt;
  try {
    await authenticateAndOpen(s, started, attempt);
  } catch (err) {
    if (err instanceof BackendError) recordAuthFailure(s, attempt, err);
    throw err;
  }
}

type SessionStart = Extract<Awaited<ReturnType<typeof negotiateClientStartup>>, { kind: 'session' }>;

async function authenticateAndOpen(s: SessionState, started: SessionStart, attempt: Attempt): Promise<void> {
  const { deps } = s;
  const { startup, channel } = started;
  if (deps.activeSessions() >= deps.config.limits.maxConnections) {
    throw new BackendError('TOO_MANY_CONNECTIONS', '53300', 'sorry, too many clients already');
  }
  if (startup.minor > 0 || startup.protocolOptions.length > 0) {
    // Sent exactly once, before authentication, as PostgreSQL does: pgtrail speaks 3.0 and no _pq_ options.
    channel.write(negotiateProtocolVersion(0, startup.protocolOptions));
  }
  const strategy = deps.selectStrategy(startup, started.tls);
  if (strategy.name === 'passthrough') attempt.method = 'passthrough';
  const outcome = await strategy.authenticate({
    startup,
    client: channel,
    clientTls: started.tls,
    clientCertificate: started.clientCertificate,
    clientPeer: s.peer,
    connectUpstream: async (params, clientCertificate) => {
      s.upstreamLink = await connectUpstream(deps.upstream, params, clientCertificate ?? null);
      return s.upstreamLink;
    },
    logger: s.log,
  });
  s.upstreamLink = outcome.upstream;
  const rest = await readStartupRest(outcome.upstream);
  const upstreamSystemId = await deps.clusterIdentity.learn(outcome.upstream, startup);
  const secret = deps.cancels.register(rest.pid, { cancel: (from) => s.cancelTarget(from) });
  const opened: SessionOpened = {
    type: 'session.opened',
    ts: Date.now(),
    session: s.id,
    identity: outcome.identity,
    database: attempt.database,
    role: rest.params.get('session_authorization') ?? attempt.user,
    client: s.peer,
    upstream: outcome.upstream.peer,
    application: rest.params.get('application_name') ?? attempt.application,
    clientTls: started.tls,
    upstreamTls: outcome.upstream.tls,
    backendPid: rest.pid,
    serverVersion: rest.params.get('server_version') ?? '',
    upstreamSystemId,
    instance: deps.instance,
  };
  const durable = deps.sink.record(opened);
  if (durable) {
    try {
      await durable;
    } catch (err) {
      deps.cancels.unregister(rest.pid, secret);
      const refusal = sinkRefusal(err);
      throw new BackendError(
        'NOT_RECORDED',
        refusal?.sqlstate ?? '58030',
        refusal === null ? SESSION_OPENED_NOT_RECORDED : `${SESSION_OPENED_NOT_RECORDED}: ${refusal.message}`,
        'FATAL',
        null,
        { cause: err },
      );
    }
  }
  s.log.info(
    {
      user: outcome.identity.user,
      database: attempt.database,
      client: s.peer,
      application: opened.application,
      clientTls: started.tls?.version ?? null,
      upstreamTls: outcome.upstream.tls?.version ?? null,
      backendPid: rest.pid,
      strategy: strategy.name,
    },
    'session opened',
  );
  startForwarding(s, opened, outcome.upstream, rest, secret);
}

function attemptOf(startup: StartupMessage): Attempt {
  const user = startup.params.get('user') ?? '';
  return {
    user,
    database: startup.params.get('database') ?? user,
    application: startup.params.get('application_name') ?? '',
    method: null,
  };
}

/**
 * session.auth_failed with the user attempted, the method tried, the SQLSTATE the client got and
 * why, within the proxy's rate bound for refused startups: anyone who can reach the port can try
 * passwords as fast as the server answers, and each failure must not cost the journal a record.
 */
function recordAuthFailure(s: SessionState, attempt: Attempt, err: BackendError): void {
  if (s.refusalRecorded) return;
  s.refusalRecorded = true;
  const fields = err.serverBody ? parseErrorFields(err.serverBody) : { code: err.sqlstate, message: err.message };
  s.log.info(
    { user: attempt.user, database: attempt.database, code: fields.code, errorCode: err.code },
    'authentication failed',
  );
  s.deps.refusals.record({
    session: s.id,
    client: s.peer,
    user: attempt.user,
    database: attempt.database,
    application: attempt.application,
    method: err instanceof IdentityRefusal ? err.method : attempt.method,
    code: fields.code,
    reason: err instanceof IdentityRefusal ? err.reason : fields.message,
  });
}

function handleCancel(s: SessionState, pid: number, secret: Buffer): void {
  const target = s.deps.cancels.find(pid, secret);
  if (target) target.cancel(s.peer);
  else s.log.info({ client: s.peer }, 'cancel request with an unknown key ignored');
}

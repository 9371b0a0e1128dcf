/**
 * Counters the proxy keeps about its own traffic, for the metrics endpoint (metrics/). They are
 * plain numbers bumped on the forwarding path, so counting costs an addition per chunk whether or
 * not anyone reads them; the metrics registry reads them at scrape time.
 */

/** How a client connection ended: forwarded (a session was opened), refused (an ErrorResponse), a cancel request, or dropped during startup. */
export type ConnectionOutcome = 'forwarded' | 'refused' | 'cancel_request' | 'dropped';

/** Every ConnectionOutcome, in a fixed order. */
export const connectionOutcomes: readonly ConnectionOutcome[] = ['forwarded', 'refused', 'cancel_request', 'dropped'];

/** The proxy's traffic counters (see the file comment). */
export class ProxyCounters {
  /** Connections accepted on the proxy port. */
  connectionsAccepted = 0;
  /** Connections closed, by how they ended. */
  readonly connectionsClosed: Record<ConnectionOutcome, number> = {
    forwarded: 0,
    refused: 0,
    cancel_request: 0,
    dropped: 0,
  };
  /** Bytes read from clients while forwarding (startup and authentication excluded). */
  bytesFromClients = 0;
  /** Bytes read from servers while forwarding and relayed to clients. */
  bytesFromServers = 0;
}

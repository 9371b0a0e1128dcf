/**
 * What the recorder service counts about its peers, for the metrics endpoint of `pgtrail recorder`
 * (docs/metrics.md): refused peers by reason, and the events and batches it took. Plain numbers the
 * service bumps as things happen; metrics/recorder-service-metrics.ts reads them at scrape time.
 */

/** Why a peer was refused: an HTTP refusal of its upgrade, a failed TLS handshake, or a Refusal frame's code. */
export const upgradeRefusalReasons = {
  401: 'unauthorized',
  426: 'wrong_subprotocol',
  503: 'too_many_connections',
} as const;

/** The service's counters (see the module comment). */
export class RecorderServiceCounters {
  /**
   * Refused peers by reason: `unauthorized`, `wrong_subprotocol`, `too_many_connections`,
   * `tls_handshake`, or the RecorderServiceError / WireError code of a Refusal frame (a fixed set).
   */
  readonly refusals = new Map<string, number>();
  /** Batches taken from proxies (checked and appended). */
  batches = 0;
  /** Events appended to the journal (after duplicates were dropped). */
  events = 0;
  /** Events dropped as duplicates of what the journal held (a resend after a reconnect). */
  duplicates = 0;

  /** Counts one refusal. */
  refused(reason: string): void {
    this.refusals.set(reason, (this.refusals.get(reason) ?? 0) + 1);
  }
}

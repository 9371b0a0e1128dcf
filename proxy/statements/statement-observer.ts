import type { ObserverFactory } from '../traffic-observer.js';
import { SessionObserver, type StatementObserverOptions } from './session-observer.js';

export type { StatementObserverOptions } from './session-observer.js';

/**
 * The observer factory `pgtrail start` gives the proxy: each session gets an observer that turns its
 * protocol traffic into statement.started / statement.finished, role, notification and cancel
 * events (docs/recording.md says what is recorded for each protocol path).
 */
export function createStatementObserver(options: StatementObserverOptions): ObserverFactory {
  return (session) => new SessionObserver(session, options);
}

/** Wall-clock milliseconds since the Unix epoch with sub-millisecond precision (performance.timeOrigin + now). */
export function systemClock(): number {
  return performance.timeOrigin + performance.now();
}

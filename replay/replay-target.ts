import { lookup } from 'node:dns/promises';
import { ReplayError } from './replay-error.js';

/** Host and port of a postgres:// URL (PostgreSQL's defaults: localhost, 5432). */
export function targetAddress(url: string): { readonly host: string; readonly port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ReplayError('REPLAY_BAD_TARGET', '--to must be a postgres:// URL');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')
    throw new ReplayError('REPLAY_BAD_TARGET', '--to must be a postgres:// URL');
  const host = decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, '')) || 'localhost';
  const port = parsed.port === '' ? 5432 : Number(parsed.port);
  return { host, port };
}

/**
 * True when the target URL names the server the session was recorded against (`upstream`,
 * address:port as the session.opened record has it): same port and a host resolving to one of
 * the same addresses. Replaying into the recorded database itself would repeat its writes.
 */
export async function isRecordedUpstream(url: string, upstream: string): Promise<boolean> {
  const target = targetAddress(url);
  const split = /^\[?(.*?)\]?:(\d+)$/.exec(upstream);
  if (!split) return false;
  if (Number(split[2]) !== target.port) return false;
  const [a, b] = await Promise.all([addresses(target.host), addresses(split[1] as string)]);
  return a.some((x) => b.includes(x));
}

async function addresses(host: string): Promise<string[]> {
  try {
    const found = await lookup(host, { all: true });
    return found.map((f) => normalise(f.address));
  } catch {
    return [normalise(host)];
  }
}

// Every loopback address is the same machine; IPv4-mapped IPv6 is its IPv4 address.
function normalise(address: string): string {
  const v4 = address.replace(/^::ffff:/, '');
  return v4 === '::1' || v4.startsWith('127.') ? 'loopback' : v4;
}

/** What replay knows about the recorded server and about the target it is connected to. */
export interface TargetFacts {
  /** The --to URL. */
  readonly url: string;
  /** address:port the session was forwarded to, as session.opened has it, or null. */
  readonly recordedUpstream: string | null;
  /** The recorded cluster's system identifier (session.opened upstreamSystemId), or null. */
  readonly recordedSystemId: string | null;
  /** The target cluster's system identifier, as the target answered, or null. */
  readonly targetSystemId: string | null;
}

/**
 * Throws ReplayError unless re-executing on the target is safe: REPLAY_TARGET_IS_UPSTREAM when the
 * target is the cluster the session was recorded against, decided by what the target is (its
 * `system_identifier`, the same when reached directly, through pgtrail or through any other proxy,
 * and for physical replicas and base-backup copies of that cluster); REPLAY_TARGET_UNIDENTIFIED
 * when the journal knows the recorded cluster but the target will not say which cluster it is.
 * Journals without the recorded identity fall back to comparing addresses; the returned note says
 * so (null when the identity decided).
 */
export async function refuseRecordedCluster(facts: TargetFacts): Promise<string | null> {
  const target = targetAddress(facts.url);
  const where = `${target.host}:${target.port}`;
  if (facts.recordedSystemId !== null) {
    if (facts.targetSystemId === null) {
      throw new ReplayError(
        'REPLAY_TARGET_UNIDENTIFIED',
        `the target ${where} does not say which database cluster it is (pg_control_system() is not readable), so it may be the one this session was recorded against; use --force to replay into it anyway`,
      );
    }
    if (facts.targetSystemId === facts.recordedSystemId) {
      throw new ReplayError(
        'REPLAY_TARGET_IS_UPSTREAM',
        `the target ${where} is the database cluster this session was recorded against (system identifier ${facts.recordedSystemId}), whatever address or proxy leads there; use --force to replay into it anyway`,
      );
    }
    return null;
  }
  if (facts.recordedUpstream !== null && (await isRecordedUpstream(facts.url, facts.recordedUpstream))) {
    throw new ReplayError(
      'REPLAY_TARGET_IS_UPSTREAM',
      `the target ${where} is the server this session was recorded against; use --force to replay into it anyway`,
    );
  }
  return 'the journal does not record which cluster this session ran on: only the address was checked, so a proxy in front of the recorded server would not be noticed';
}

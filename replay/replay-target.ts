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

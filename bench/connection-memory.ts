import pg from 'pg';
import { processMemory } from './process-memory.js';
import type { PgbenchTarget } from './pgbench.js';

/** RSS of a proxy process with no sessions and with `connections` idle sessions. */
export interface ConnectionMemory {
  readonly target: string;
  readonly connections: number;
  readonly idleRssBytes: number;
  readonly loadedRssBytes: number;
  readonly perConnectionBytes: number;
  /** For a Node process: live JS heap + external (Buffer) bytes per session after a GC; null otherwise. */
  readonly heapPerConnectionBytes: number | null;
}

async function openClients(connection: PgbenchTarget, count: number): Promise<pg.Client[]> {
  const clients: pg.Client[] = [];
  try {
    // In batches, so that a proxy's connection limit or startup queue is not what is measured.
    for (let opened = 0; opened < count; opened += 20) {
      const batch = Array.from(
        { length: Math.min(20, count - opened) },
        () => new pg.Client({ ...connection, ssl: false }),
      );
      clients.push(...batch);
      await Promise.all(
        batch.map(async (c) => {
          await c.connect();
          await c.query('select 1');
        }),
      );
    }
    return clients;
  } catch (err) {
    await closeClients(clients);
    throw err;
  }
}

async function closeClients(clients: readonly pg.Client[]): Promise<void> {
  await Promise.all(clients.map((c) => c.end().catch(() => {})));
}

/**
 * Measures the RSS a proxy process adds per idle session: warms it up with a few sessions, lets it
 * settle (`settle` runs a garbage collection in a Node process and returns its live heap), then reads RSS with none and with
 * `connections` idle sessions open.
 */
export async function measureConnectionMemory(
  targetKey: string,
  connection: PgbenchTarget,
  proxyPid: number,
  connections: number,
  settle: () => Promise<number | null>,
): Promise<ConnectionMemory> {
  await closeClients(await openClients(connection, 10));
  const idleHeap = await settle();
  const idleRssBytes = processMemory(proxyPid).rssBytes;
  const clients = await openClients(connection, connections);
  try {
    const loadedHeap = await settle();
    const loadedRssBytes = processMemory(proxyPid).rssBytes;
    return {
      target: targetKey,
      connections,
      idleRssBytes,
      loadedRssBytes,
      perConnectionBytes: (loadedRssBytes - idleRssBytes) / connections,
      heapPerConnectionBytes: idleHeap === null || loadedHeap === null ? null : (loadedHeap - idleHeap) / connections,
    };
  } finally {
    await closeClients(clients);
  }
}

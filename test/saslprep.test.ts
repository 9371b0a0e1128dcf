/**
 * SASLprep as PostgreSQL does it, against the real servers: for passwords that exercise each step
 * of pg_saslprep() and each of its fallbacks to the raw bytes,
 * - pgtrail's verifier (makeScramVerifier, with the salt and iterations PostgreSQL chose) equals the
 *   one PostgreSQL stored for CREATE ROLE ... PASSWORD, and
 * - a client logs in through pgtrail in passthrough mode with a TLS client leg, where pgtrail runs
 *   SCRAM upstream itself with the password the client gave it.
 * Roles are created per run and dropped afterwards.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { superuser, type PostgresInfo } from '../embedded/postgres-server.js';
import { formatScramVerifier, makeScramVerifier, parseScramVerifier } from '../proxy/identity/scram-verifier.js';
import { frontendMessage, RawClient, startupMessage, startupPacket } from './support/raw-client.js';
import { startTlsTestProxy, type TlsTestProxy } from './support/test-proxy.js';

/** Passwords a `pg` client can send (JS strings), by what they exercise. */
const textCases = [
  {
    what: 'mapping (soft hyphen and zero-width joiner to nothing, zero-width space to a space)',
    password: 'pass\u00ADwo\u200Drd\u200Bx',
  },
  { what: 'NFKC (fullwidth letters, a roman numeral, a ligature)', password: 'ｐａｓｓ\u2168\uFB01' },
  {
    what: 'a code point unassigned in Unicode 3.2 (U+2150): raw bytes although NFKC would change them',
    password: '\u2150ｐａｓｓ',
  },
  {
    what: 'a prohibited code point before NFKC (U+0341, C.8; NFKC gives the allowed U+0301): raw bytes',
    password: 'ｐａｓｓe\u0341',
  },
  { what: 'a prohibited code point (private use U+E000): raw bytes', password: 'ｐａｓｓ\uE000' },
  { what: 'an ASCII control character in a non-ASCII password: raw bytes', password: 'ｐａｓｓ\u0007' },
  { what: 'a bidi violation (RandALCat first, a digit last): raw bytes', password: '\u0627\uFF11' },
  { what: 'a bidi violation (RandALCat and LCat together): raw bytes', password: '\u0627ｐ\u0628' },
  { what: 'nothing left after mapping: raw bytes', password: '\u00AD\u200D' },
] as const;

/** Not valid UTF-8 (a lone 0xFF): PostgreSQL hashes the raw bytes; only a raw protocol client can send it. */
const invalidUtf8 = Buffer.from([0x70, 0x61, 0x73, 0x73, 0xff, 0x21]);

const adminClient = (server: PostgresInfo, database = 'postgres') =>
  new pg.Client({ host: server.host, port: server.port, user: superuser.user, password: superuser.password, database });

describe.each(inject('postgresMajors').map((server) => [server.major, server] as const))(
  'SASLprep with PostgreSQL %i',
  (_major, server) => {
    const prefix = `saslprep_${process.pid}_${server.major}`;
    const asciiDatabase = `${prefix}_sqlascii`;
    const roleOf = (i: number | string) => `${prefix}_${i}`;
    let admin: pg.Client;
    let proxy: TlsTestProxy;

    beforeAll(async () => {
      proxy = await startTlsTestProxy(server, 'allow');
      admin = adminClient(server);
      await admin.connect();
      for (const [i, c] of textCases.entries()) {
        await admin.query(`CREATE ROLE ${roleOf(i)} LOGIN PASSWORD ${admin.escapeLiteral(c.password)}`);
      }
      // The server hashes the bytes of the literal as it receives them. In a SQL_ASCII database with a
      // SQL_ASCII client, psql passes a byte that is not UTF-8 through unchanged.
      await admin.query(`CREATE DATABASE ${asciiDatabase} ENCODING 'SQL_ASCII' LOCALE 'C' TEMPLATE template0`);
      const script = join(proxy.dir, 'create-role.sql');
      writeFileSync(
        script,
        Buffer.concat([
          Buffer.from(`CREATE ROLE ${roleOf('invalid_utf8')} LOGIN PASSWORD '`),
          invalidUtf8,
          Buffer.from("';\n"),
        ]),
      );
      execFileSync(
        'psql',
        [
          '-X',
          '-q',
          '-v',
          'ON_ERROR_STOP=1',
          '-h',
          server.host,
          '-p',
          String(server.port),
          '-U',
          superuser.user,
          '-d',
          asciiDatabase,
          '-f',
          script,
        ],
        {
          env: { ...process.env, PGPASSWORD: superuser.password, PGCLIENTENCODING: 'SQL_ASCII' },
          stdio: 'pipe',
        },
      );
    });

    afterAll(async () => {
      await proxy?.close();
      if (admin) {
        await admin.query(`DROP DATABASE IF EXISTS ${asciiDatabase}`);
        for (const i of [...textCases.keys(), 'invalid_utf8']) await admin.query(`DROP ROLE IF EXISTS ${roleOf(i)}`);
        await admin.end();
      }
    });

    /** Recomputes PostgreSQL's stored verifier of `role` from `password` with its salt and iterations. */
    const expectSameVerifier = async (role: string, password: string | Buffer) => {
      const { rows } = await admin.query<{ rolpassword: string }>(
        'SELECT rolpassword FROM pg_authid WHERE rolname = $1',
        [role],
      );
      const stored = rows[0]?.rolpassword ?? '';
      const { iterations, salt } = parseScramVerifier(stored, role);
      expect(formatScramVerifier(makeScramVerifier(password, iterations, salt))).toBe(stored);
    };

    const pgClientThroughProxy = (user: string, password: string) =>
      new pg.Client({
        host: proxy.host,
        port: proxy.port,
        user,
        password,
        database: 'postgres',
        ssl: { ca: readFileSync(proxy.caFile), servername: 'localhost' },
      });

    for (const [i, c] of textCases.entries()) {
      it(`${c.what}: pgtrail's verifier equals PostgreSQL's`, async () => {
        await expectSameVerifier(roleOf(i), c.password);
      });

      it(`${c.what}: pg logs in through pgtrail (SCRAM upstream)`, async () => {
        const client = pgClientThroughProxy(roleOf(i), c.password);
        await client.connect();
        try {
          const { rows } = await client.query<{ u: string }>('SELECT current_user AS u');
          expect(rows[0]?.u).toBe(roleOf(i));
        } finally {
          await client.end();
        }
      });
    }

    it("invalid UTF-8: pgtrail's verifier equals PostgreSQL's", async () => {
      await expectSameVerifier(roleOf('invalid_utf8'), invalidUtf8);
    });

    it('invalid UTF-8: a raw protocol client logs in through pgtrail (SCRAM upstream)', async () => {
      const raw = await RawClient.open(proxy.host, proxy.port);
      try {
        raw.write(startupPacket(80877103));
        expect(String.fromCharCode(await raw.readByte())).toBe('S');
        await raw.startTls(readFileSync(proxy.caFile));
        raw.write(startupMessage({ user: roleOf('invalid_utf8'), database: 'postgres' }));
        const ask = await raw.next();
        expect([ask.code, ask.body.readInt32BE(0)]).toEqual([0x52, 3]);
        raw.write(frontendMessage('p', Buffer.concat([invalidUtf8, Buffer.from([0])])));
        const replies = await raw.untilReady();
        expect(replies.map((m) => String.fromCharCode(m.code))).not.toContain('E');
        expect(replies[0]?.code).toBe(0x52);
        expect(replies[0]?.body.readInt32BE(0)).toBe(0);
      } finally {
        raw.end();
      }
    });

    it('the NFKC form of a password logs in too, as it does against PostgreSQL directly', async () => {
      const client = pgClientThroughProxy(roleOf(1), 'passIXfi');
      await client.connect();
      await client.end();
    });

    it("a wrong non-ASCII password is refused through pgtrail with the server's 28P01", async () => {
      const client = pgClientThroughProxy(roleOf(1), 'ｐａｓｓ\u2168');
      await expect(client.connect()).rejects.toMatchObject({ code: '28P01' });
    });
  },
);

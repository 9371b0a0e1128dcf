import { PassThrough, Readable, Writable } from 'node:stream';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import type { CommandContext } from '../bin/cli.js';
import { runPasswd, type PasswordInput } from '../bin/commands/passwd.js';
import { formatScramVerifier, makeScramVerifier, parseScramVerifier } from '../proxy/identity/scram-verifier.js';
import { testRoles } from './support/test-roles.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(Buffer.from(c)), cb()) });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function passwd(argv: string[], input: PasswordInput) {
  const out = capture();
  const err = capture();
  const ctx: CommandContext = { argv, env: {}, stdout: out.stream, stderr: err.stream };
  const code = await runPasswd(ctx, input);
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('pgtrail passwd', () => {
  it('prints a verifier that PostgreSQL itself accepts for the password read from stdin', async () => {
    const { code, stdout } = await passwd(['alice'], Readable.from([Buffer.from('pässword with spaces\nignored\n')]));
    expect(code).toBe(0);
    const verifier = stdout.trim();
    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:/);
    const server = inject('postgres');
    const admin = new pg.Client({
      host: server.host,
      port: server.port,
      user: testRoles.admin.user,
      password: testRoles.admin.password,
      database: 'postgres',
    });
    await admin.connect();
    const role = `passwd_probe_${process.pid}`;
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${verifier}'`);
      // pg_hba pins unknown roles to scram-sha-256 over TCP; a login proves the verifier is PostgreSQL's format.
      const user = new pg.Client({
        host: server.host,
        port: server.port,
        user: role,
        password: 'pässword with spaces',
        database: 'postgres',
      });
      await user.connect();
      expect((await user.query('SELECT current_user AS u')).rows[0]).toEqual({ u: role });
      await user.end();
    } finally {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });

  it('hashes a password that is not UTF-8 as its raw bytes, as PostgreSQL does', async () => {
    const latin1 = Buffer.from('p\xe4ssword', 'latin1'); // "pässword" in Latin-1: not valid UTF-8
    const { code, stdout } = await passwd(['carol'], Readable.from([Buffer.concat([latin1, Buffer.from('\r\n')])]));
    expect(code).toBe(0);
    const printed = parseScramVerifier(stdout.trim(), 'carol');
    const recompute = (password: string | Buffer) =>
      formatScramVerifier(makeScramVerifier(password, printed.iterations, printed.salt));
    expect(stdout.trim()).toBe(recompute(latin1));
    // Decoding the line as UTF-8 first would have hashed U+FFFD in place of the byte 0xE4.
    expect(stdout.trim()).not.toBe(recompute(latin1.toString('utf8')));
  });

  it('prompts twice on a terminal without echoing what is typed', async () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true, rawModes: [] as boolean[] });
    const input: PasswordInput = Object.assign(tty, { setRawMode: (raw: boolean) => tty.rawModes.push(raw) });
    const run = passwd(['bob', '--iterations', '5000'], input);
    setImmediate(() => tty.write('hunter2\r'));
    setTimeout(() => tty.write('hunter2\r'), 20);
    const { code, stdout, stderr } = await run;
    expect(code).toBe(0);
    expect(stdout).toMatch(/^SCRAM-SHA-256\$5000:/);
    expect(stderr).toBe('password for bob: \nagain: \n');
    expect(stderr + stdout).not.toContain('hunter2');
    expect(tty.rawModes).toEqual([true, false, true, false]);
  });

  it('refuses a missing user, an empty password and mismatched confirmations', async () => {
    await expect(passwd([], Readable.from(['x\n']))).rejects.toThrow('expected exactly one USER');
    await expect(passwd(['carol'], Readable.from(['\n']))).rejects.toThrow('the password is empty');
    const tty = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
    const run = passwd(['carol'], tty);
    setImmediate(() => tty.write('one\r'));
    setTimeout(() => tty.write('two\r'), 20);
    await expect(run).rejects.toThrow('the passwords do not match');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scrubPasswords } from './password-scrub.js';

const scrub = (sql: string): string | null => {
  const out = scrubPasswords(sql);
  return out === null ? null : (out.sql as string);
};

/** Passwords of any characters, including quotes, backslashes, dollars and non-ASCII. */
const passwords = fc.string({
  unit: fc.oneof(
    fc.constantFrom("'", '\\', '$', '"', ';', '-', '*', '/', ' ', '\n'),
    fc.string({ minLength: 1, maxLength: 1 }),
    fc.constantFrom('é', '密', '😀'),
  ),
  minLength: 1,
  maxLength: 40,
});

/** Every way a client writes a password literal, and the literal as it must appear after scrubbing. */
const quoted = (pw: string): fc.Arbitrary<string> =>
  fc
    .constantFrom(
      `'${pw.replaceAll("'", "''")}'`,
      `E'${pw.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`,
      `$pw$${pw}$pw$`,
      `$$${pw}$$`,
    )
    .filter((literal) => {
      // A dollar-quoted body cannot hold its closing tag, also not across its end: the server would reject such SQL.
      if (literal.startsWith('$pw$')) return `${pw}$pw$`.indexOf('$pw$') === pw.length;
      if (literal.startsWith('$$')) return `${pw}$$`.indexOf('$$') === pw.length;
      return true;
    });

describe('scrubPasswords', () => {
  it('replaces the password of CREATE/ALTER ROLE/USER in every quoting (generated passwords)', () => {
    const templates = [
      (l: string) => [`ALTER ROLE app PASSWORD ${l}`, `ALTER ROLE app PASSWORD '***'`],
      (l: string) => [
        `CREATE USER "Bob" WITH LOGIN ENCRYPTED PASSWORD ${l} VALID UNTIL 'infinity'`,
        `CREATE USER "Bob" WITH LOGIN ENCRYPTED PASSWORD '***' VALID UNTIL '***'`,
      ],
      (l: string) => [`alter user x with password ${l};`, `alter user x with password '***';`],
      (l: string) => [`CREATE ROLE r /* c */ PASSWORD\n${l}`, `CREATE ROLE r /* c */ PASSWORD\n'***'`],
      (l: string) => [`ALTER GROUP g PASSWORD ${l}`, `ALTER GROUP g PASSWORD '***'`],
    ];
    fc.assert(
      fc.property(
        passwords.chain((pw) => fc.tuple(fc.constant(pw), quoted(pw), fc.constantFrom(...templates))),
        ([, literal, template]) => {
          const [sql, expected] = template(literal) as [string, string];
          // With a backslash before a quote the text is also read as if standard_conforming_strings were
          // off: then the literal may run on, and everything from it to the end is masked.
          const maskedToEnd = `${sql.slice(0, sql.indexOf(literal))}'***'`;
          expect([expected, maskedToEnd]).toContain(scrub(sql));
          if (!literal.includes('\\')) expect(scrub(sql)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("replaces the md5 and SCRAM verifiers psql's \\password sends", () => {
    expect(scrub(`ALTER USER "app" PASSWORD 'md5d41d8cd98f00b204e9800998ecf8427e'`)).toBe(
      `ALTER USER "app" PASSWORD '***'`,
    );
    const scram = 'SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy';
    expect(scrub(`ALTER USER app PASSWORD '${scram}'`)).toBe(`ALTER USER app PASSWORD '***'`);
  });

  it('replaces a password given as a parameter placeholder and keeps PASSWORD NULL', () => {
    expect(scrub('ALTER ROLE app PASSWORD $1')).toBe(`ALTER ROLE app PASSWORD '***'`);
    expect(scrub('ALTER ROLE app PASSWORD NULL')).toBe('ALTER ROLE app PASSWORD NULL');
  });

  it('scrubs every literal of a statement whose literal mentions a password', () => {
    expect(scrub(`DO $x$ BEGIN EXECUTE format('ALTER ROLE a PASSWORD %L', 'hunter2'); END $x$`)).toBe(`DO '***'`);
    expect(scrub(`CREATE SUBSCRIPTION s CONNECTION 'host=h password=hunter2' PUBLICATION p`)).toBe(
      `CREATE SUBSCRIPTION s CONNECTION '***' PUBLICATION p`,
    );
    expect(scrub(`SELECT dblink_connect('dbname=x password=hunter2')`)).toBe(`SELECT dblink_connect('***')`);
    expect(scrub(`CREATE SUBSCRIPTION s CONNECTION 'postgresql://rep:hunter2@h/db' PUBLICATION p`)).toBe(
      `CREATE SUBSCRIPTION s CONNECTION '***' PUBLICATION p`,
    );
  });

  it('leaves statements without passwords alone', () => {
    expect(scrub(`SELECT password FROM users WHERE name = 'bob'`)).toBeNull();
    expect(scrub(`CREATE TABLE users (password text)`)).toBeNull();
    expect(scrub(`ALTER ROLE app SET search_path = 'x'`)).toBeNull();
  });

  it('masks a password written for standard_conforming_strings off', () => {
    // With the setting off, 'ab\'cd' is one literal: the body must not leak under either reading.
    const out = scrub(`ALTER ROLE app PASSWORD 'ab\\'cd' VALID UNTIL 'infinity'`);
    expect(out).not.toContain('cd');
    expect(out?.startsWith(`ALTER ROLE app PASSWORD '***'`)).toBe(true);
  });

  it('keeps nothing after an unterminated quote', () => {
    expect(scrub(`ALTER ROLE app PASSWORD 'never closed; SELECT 1`)).toBe(`ALTER ROLE app PASSWORD '***'`);
  });

  it('scrubs SQL recorded as base64', () => {
    const sql = Buffer.concat([Buffer.from("ALTER ROLE a PASSWORD '"), Buffer.from([0xe9, 0x41]), Buffer.from("'")]);
    const out = scrubPasswords({ base64: sql.toString('base64') });
    expect(out?.sql).toEqual({ base64: Buffer.from("ALTER ROLE a PASSWORD '***'").toString('base64') });
  });
});

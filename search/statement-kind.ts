/**
 * The kind of a statement, for `search --kind`: taken from the command tag PostgreSQL returned
 * (protocol.html "CommandComplete"), or from the first keyword of the SQL when there is no tag
 * (the statement failed or never finished).
 */
export const StatementKind = {
  select: 'select',
  insert: 'insert',
  update: 'update',
  delete: 'delete',
  merge: 'merge',
  copy: 'copy',
  ddl: 'ddl',
  transaction: 'transaction',
  session: 'session',
  other: 'other',
} as const;
export type StatementKind = (typeof StatementKind)[keyof typeof StatementKind];

/** Every kind, in a fixed order: the index stores a kind as its position here. */
export const statementKinds: readonly StatementKind[] = Object.values(StatementKind);

const byKeyword: Readonly<Record<string, StatementKind>> = {
  SELECT: 'select',
  VALUES: 'select',
  TABLE: 'select',
  FETCH: 'select',
  WITH: 'select', // a WITH without a tag is most often a query; with a tag the tag decides
  INSERT: 'insert',
  UPDATE: 'update',
  DELETE: 'delete',
  MERGE: 'merge',
  COPY: 'copy',
  CREATE: 'ddl',
  ALTER: 'ddl',
  DROP: 'ddl',
  TRUNCATE: 'ddl',
  COMMENT: 'ddl',
  GRANT: 'ddl',
  REVOKE: 'ddl',
  SECURITY: 'ddl',
  IMPORT: 'ddl',
  REFRESH: 'ddl',
  REINDEX: 'ddl',
  BEGIN: 'transaction',
  START: 'transaction',
  COMMIT: 'transaction',
  END: 'transaction',
  ROLLBACK: 'transaction',
  ABORT: 'transaction',
  SAVEPOINT: 'transaction',
  RELEASE: 'transaction',
  PREPARE: 'transaction', // PREPARE TRANSACTION; a plain PREPARE's tag is also PREPARE
  SET: 'session',
  RESET: 'session',
  SHOW: 'session',
  DISCARD: 'session',
  LISTEN: 'session',
  UNLISTEN: 'session',
  NOTIFY: 'session',
};

/** The kind of a statement from its command tag, else from its SQL text, else `other`. */
export function statementKind(command: string | null, sql: string | null): StatementKind {
  const word = firstWord(command) ?? firstWord(stripComments(sql));
  if (word === null) return 'other';
  if (word === 'PREPARE' && command !== null && command === 'PREPARE') return 'other';
  return byKeyword[word] ?? 'other';
}

/** Parses a --kind value (comma-separated kinds) or returns null when a name is unknown. */
export function parseKinds(text: string): StatementKind[] | null {
  const kinds = text.split(',').map((k) => k.trim().toLowerCase());
  return kinds.every((k): k is StatementKind => (statementKinds as readonly string[]).includes(k)) ? kinds : null;
}

function firstWord(text: string | null): string | null {
  if (text === null) return null;
  const match = /^\s*\(*\s*([A-Za-z]+)/.exec(text);
  return match?.[1] ? match[1].toUpperCase() : null;
}

// Leading comments only: enough to find the first keyword of what a client sent.
function stripComments(sql: string | null): string | null {
  if (sql === null) return null;
  let rest = sql;
  for (;;) {
    rest = rest.trimStart();
    if (rest.startsWith('--')) {
      const eol = rest.indexOf('\n');
      rest = eol < 0 ? '' : rest.slice(eol + 1);
    } else if (rest.startsWith('/*')) {
      const end = rest.indexOf('*/');
      rest = end < 0 ? '' : rest.slice(end + 2);
    } else {
      return rest;
    }
  }
}

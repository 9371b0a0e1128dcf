import type { RedactionRule } from '../config/config.js';
import type { RecordedText, StatementFinished, StatementStarted, TrailEvent } from './events.js';
import {
  echoesSecret,
  holdsCredentials,
  isPasswordVerifier,
  PASSWORD_REDACTION,
  scrubPasswords,
} from './password-scrub.js';
import { replaceLiterals } from './sql-literals.js';

/**
 * Redaction: what the recorder does to an event before it is written. Password scrubbing always
 * applies (recorder/password-scrub.ts); then every configured rule whose database and user match the
 * session (an absent field matches all) applies in config order:
 * - `drop-params`: every parameter value becomes null (the count stays);
 * - `normalize-sql`: literals in the SQL become $n placeholders, by libpg-query's normalize (the
 *   PostgreSQL parser), or, for SQL it cannot parse, by a lexer that replaces every string and number.
 * The record's `redaction` field names what applied, comma-separated in the order applied
 * (`password` for scrubbing), or null. Rules match the session's database and authenticated user,
 * which the redactor learns from session.opened, so it must see every event of the sessions it redacts.
 */
export interface Redactor {
  /** The event as it must be written. */
  redact(event: TrailEvent): TrailEvent;
}

/** Normalises SQL, throwing when it cannot parse it. */
type Normalize = (sql: string) => string;

/** Creates a redactor for `rules`, loading libpg-query's parser when a rule needs it. */
export async function createRedactor(rules: readonly RedactionRule[]): Promise<Redactor> {
  let normalize: Normalize | null = null;
  if (rules.some((r) => r.action === 'normalize-sql')) {
    const pgQuery = await import('libpg-query');
    await pgQuery.loadModule();
    normalize = pgQuery.normalizeSync;
  }
  return new RuleRedactor(rules, normalize);
}

interface SessionFacts {
  readonly database: string;
  readonly user: string;
}

class RuleRedactor implements Redactor {
  private readonly sessions = new Map<string, SessionFacts>();
  /** Literals scrubbed from a statement, until its statement.finished, keyed by session and statement number. */
  private readonly secrets = new Map<string, readonly string[]>();

  constructor(
    private readonly rules: readonly RedactionRule[],
    private readonly normalize: Normalize | null,
  ) {}

  redact(event: TrailEvent): TrailEvent {
    switch (event.type) {
      case 'session.opened':
        this.sessions.set(event.session, { database: event.database, user: event.identity.user });
        return event;
      case 'session.closed':
        this.sessions.delete(event.session);
        for (const key of this.secrets.keys()) if (key.startsWith(`${event.session}\u0000`)) this.secrets.delete(key);
        return event;
      case 'statement.started':
        return this.redactStarted(event);
      case 'statement.finished':
        return this.redactFinished(event);
      default:
        return event;
    }
  }

  private redactStarted(event: StatementStarted): StatementStarted {
    let { sql, params } = event;
    const applied: string[] = [];
    const scrubbed = scrubPasswords(sql);
    if (scrubbed !== null) {
      sql = scrubbed.sql;
      params = params === null ? null : params.map(() => null);
      applied.push(PASSWORD_REDACTION);
      if (scrubbed.secrets.length > 0) this.secrets.set(`${event.session}\u0000${event.statement}`, scrubbed.secrets);
    }
    if (scrubbed === null && params !== null && params.some((v) => v !== null && holdsCredentials(v))) {
      // e.g. dblink_connect($1) with 'host=h password=...': that value alone is dropped.
      params = params.map((v) => (v !== null && holdsCredentials(v) ? null : v));
      applied.push(PASSWORD_REDACTION);
    }
    const facts = this.sessions.get(event.session);
    for (const rule of this.rules) {
      if (!matches(rule, facts)) continue;
      if (rule.action === 'drop-params') params = params === null ? null : params.map(() => null);
      else sql = this.normalizeSql(sql);
      applied.push(rule.name);
    }
    if (applied.length === 0) return event;
    return { ...event, sql, params, redaction: applied.join(',') };
  }

  private redactFinished(event: StatementFinished): StatementFinished {
    // The common case, checked without building the key: nothing scrubbed is pending and no rows were captured.
    if (this.secrets.size === 0 && event.capturedRows === null) return event;
    const key = `${event.session}\u0000${event.statement}`;
    const secrets = this.secrets.get(key);
    this.secrets.delete(key);
    let result = event;
    if (secrets !== undefined && event.error !== null && echoesSecret(event.error.message, secrets)) {
      result = {
        ...result,
        error: { code: event.error.code, message: 'message removed: it quoted a scrubbed password' },
      };
    }
    // Captured rows may hold verifiers (SELECT rolpassword FROM pg_authid) or options with passwords (pg_user_mapping).
    if (event.capturedRows?.some((row) => row.some(isSecretValue))) {
      result = {
        ...result,
        capturedRows: event.capturedRows.map((row) => row.map((v) => (isSecretValue(v) ? null : v))),
      };
    }
    return result;
  }

  private normalizeSql(sql: RecordedText): RecordedText {
    if (typeof sql === 'string' && this.normalize !== null) {
      try {
        return this.normalize(sql);
      } catch {
        // Not parseable (a syntax error, or a newer PostgreSQL's syntax): the lexer fallback below.
      }
    }
    return replaceLiterals(sql);
  }
}

function isSecretValue(v: string | null): boolean {
  return v !== null && (isPasswordVerifier(v) || holdsCredentials(v));
}

/** A session nobody announced matches only rules that match everything. */
function matches(rule: RedactionRule, facts: SessionFacts | undefined): boolean {
  if (rule.database !== null && rule.database !== facts?.database) return false;
  if (rule.user !== null && rule.user !== facts?.user) return false;
  return true;
}

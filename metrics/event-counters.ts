/**
 * Counts what the proxy reports to the recorder (session and statement events) for the metrics
 * endpoint. It sits in front of the journal sink and only bumps numbers: per statement event a
 * switch, a map lookup and an addition into a fixed array, plus one histogram observation per
 * finished statement. Label sets and the text format are made at scrape time (metrics-registry.ts).
 */
import type { EventSink, RecordedText, TrailEvent } from '../recorder/events.js';
import { statementKind, statementKinds, type StatementKind } from '../search/statement-kind.js';

/** What a finished statement came to: a command tag, an error, or skipped by the server. */
export const statementOutcomes = ['ok', 'error', 'not_executed'] as const;
export type StatementOutcome = (typeof statementOutcomes)[number];

/** What we remember about an open session between its events. */
interface OpenSession {
  /** Index into userSlots of its (user, database) pair. */
  readonly slot: number;
  /** SQL of the statement last started: its kind is taken from it when no command tag comes back. */
  sql: RecordedText | null;
}

/** Label value that stands for every (user, database) pair beyond the cap. */
export const otherLabel = '_other';

const kindIndex = new Map<StatementKind, number>(statementKinds.map((k, i) => [k, i]));
const selectIndex = statementKinds.indexOf('select');
const insertIndex = statementKinds.indexOf('insert');
const updateIndex = statementKinds.indexOf('update');
const deleteIndex = statementKinds.indexOf('delete');

/** The event counters (see the module comment). */
export class EventCounters {
  /** Sessions by `method\tresult` (a handful of keys: methods and results are fixed words). */
  readonly sessions = new Map<string, number>();
  /** Finished statements, at `kind index * outcomes + outcome index` (statementKinds, statementOutcomes order). */
  readonly statements = new Float64Array(statementKinds.length * statementOutcomes.length);
  /** Statements per (user, database) pair, in slot order; the last slot may be the `_other` pair. */
  readonly userSlots: { readonly user: string; readonly database: string; statements: number }[] = [];
  /** Sessions open now (opened and not closed). */
  openSessions = 0;
  readonly #slotByPair = new Map<string, number>();
  readonly #open = new Map<string, OpenSession>();
  // Kind by the first word of a command tag ("SELECT 1" -> select): the tag's row count varies, its word does not.
  readonly #kindByTagWord = new Map<string, number>();

  /**
   * @param maxUserLabels how many distinct (user, database) pairs get their own label values; later
   *   pairs are counted under `_other`, so a client cannot grow the metrics without bound
   * @param observeDuration takes each finished statement's duration in seconds (the histogram)
   */
  constructor(
    private readonly maxUserLabels: number,
    private readonly observeDuration: (seconds: number) => void,
  ) {}

  /** Finished statements of one kind and outcome. */
  statementCount(kind: StatementKind, outcome: StatementOutcome): number {
    return this.statements[(kindIndex.get(kind) ?? 0) * statementOutcomes.length + statementOutcomes.indexOf(outcome)]!;
  }

  /** Counts one event. */
  observe(event: TrailEvent): void {
    switch (event.type) {
      case 'statement.started': {
        const open = this.#open.get(event.session);
        if (open) open.sql = event.sql;
        return;
      }
      case 'statement.finished': {
        const open = this.#open.get(event.session);
        const outcome = event.notExecuted ? 2 : event.error ? 1 : 0;
        const kind = event.command === null ? this.#kindOfSql(open?.sql ?? null) : this.#kindOfTag(event.command);
        this.statements[kind * statementOutcomes.length + outcome]!++;
        if (open) this.userSlots[open.slot]!.statements++;
        this.observeDuration(event.durationMs / 1000);
        return;
      }
      case 'session.opened':
        bump(this.sessions, `${event.identity.method.kind}\tok`);
        this.#open.set(event.session, { slot: this.#slot(event.identity.user, event.database), sql: null });
        this.openSessions++;
        return;
      case 'session.auth_failed':
        bump(this.sessions, `unknown\t${event.code.startsWith('28') ? 'failed' : 'refused'}`);
        return;
      case 'session.closed':
        if (this.#open.delete(event.session)) this.openSessions--;
        return;
      default:
        return;
    }
  }

  #kindOfTag(command: string): number {
    // The four tags that make most traffic, without slicing or hashing the tag.
    if (command.startsWith('SELECT ')) return selectIndex;
    if (command.startsWith('INSERT ')) return insertIndex;
    if (command.startsWith('UPDATE ')) return updateIndex;
    if (command.startsWith('DELETE ')) return deleteIndex;
    const space = command.indexOf(' ');
    const word = space < 0 ? command : command.slice(0, space);
    // A bare PREPARE tag is a prepared statement (other); PREPARE TRANSACTION is a transaction: not cached by word.
    if (word === 'PREPARE') return kindIndex.get(statementKind(command, null)) ?? 0;
    let kind = this.#kindByTagWord.get(word);
    if (kind === undefined) {
      kind = kindIndex.get(statementKind(word, null)) ?? 0;
      // Tags are PostgreSQL's fixed words, but a broken server could send anything: keep the cache small.
      if (this.#kindByTagWord.size < 256) this.#kindByTagWord.set(word, kind);
    }
    return kind;
  }

  #kindOfSql(sql: RecordedText | null): number {
    return kindIndex.get(statementKind(null, typeof sql === 'string' ? sql : null)) ?? 0;
  }

  #slot(user: string, database: string): number {
    const key = `${user}\t${database}`;
    const known = this.#slotByPair.get(key);
    if (known !== undefined) return known;
    if (this.userSlots.length < this.maxUserLabels) {
      this.userSlots.push({ user, database, statements: 0 });
      this.#slotByPair.set(key, this.userSlots.length - 1);
      return this.userSlots.length - 1;
    }
    // Beyond the cap every new pair shares one slot, created once.
    const other = this.#slotByPair.get(otherLabel);
    if (other !== undefined) return other;
    this.userSlots.push({ user: otherLabel, database: otherLabel, statements: 0 });
    this.#slotByPair.set(otherLabel, this.userSlots.length - 1);
    return this.userSlots.length - 1;
  }
}

/** A sink that counts each event, then hands it to `sink`. */
export function countingSink(sink: EventSink, counters: EventCounters): EventSink {
  return {
    record: (event: TrailEvent) => {
      counters.observe(event);
      return sink.record(event);
    },
  };
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

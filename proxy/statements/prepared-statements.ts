import type { RecordedText } from '../../recorder/events.js';
import { binaryValueText } from './binary-value.js';
import { formatOf, type BindMessage } from './client-messages.js';
import { toHexText, toValueText } from './recorded-text.js';
import type { ResultColumns } from './row-capture.js';
import type { StatementRun } from './statement-run.js';

/** A prepared statement as the client created it with Parse ('' is the unnamed one). */
export interface PreparedStatement {
  readonly name: string;
  readonly sql: RecordedText;
  /** The SQL as a string when it is one (for role tracking), else null. */
  readonly sqlText: string | null;
  /** Parameter type OIDs from Parse (0 = left to the server). */
  readonly paramTypes: readonly number[];
  /** Parameter type OIDs from a ParameterDescription for this statement, once one arrived. */
  described: readonly number[] | null;
}

/** A portal as the client created it with Bind ('' is the unnamed one). */
export interface Portal {
  readonly name: string;
  /** The name of the prepared statement the client bound it to ('' = unnamed). */
  readonly statement: string;
  /** The statement it was bound to, or null when pgtrail never saw that statement's Parse. */
  readonly prepared: PreparedStatement | null;
  readonly params: readonly (string | null)[] | null;
  columns: ResultColumns;
  /** The statement an Execute with a row limit started, until it completes: later Executes continue it. */
  activeRun: StatementRun | null;
  /** How many ReadyForQuery-answered messages the client had sent before this Bind: the portal ends with that batch's transaction. */
  readonly batch: number;
}

/**
 * Parameter values as recorded: text-format values as sent (UTF-8, else hex), binary values decoded
 * by type OID from Parse or, where Parse left 0, from the statement's ParameterDescription; NULL as null.
 */
export function recordBindParams(bind: BindMessage, prepared: PreparedStatement | null): (string | null)[] | null {
  if (bind.values.length === 0) return null;
  return bind.values.map((value, i) => {
    if (value === null) return null;
    if (formatOf(bind.paramFormats, i) === 0) return toValueText(value);
    const oid = parameterType(prepared, i);
    return oid === 0 ? toHexText(value) : binaryValueText(oid, value);
  });
}

function parameterType(prepared: PreparedStatement | null, i: number): number {
  if (prepared === null) return 0;
  const fromParse = prepared.paramTypes[i] ?? 0;
  return fromParse !== 0 ? fromParse : (prepared.described?.[i] ?? 0);
}

/** Result columns of a Bind: its result format codes, types not (yet) known. */
export function bindColumns(bind: BindMessage): ResultColumns {
  return { formats: bind.resultFormats, typeOids: null };
}

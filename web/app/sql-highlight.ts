/**
 * SQL shown with its keywords, strings, numbers, parameters and comments set apart, as text nodes in
 * spans (never as HTML). A display aid, not a parser: anything it does not recognise is plain text.
 */
import { h } from './dom.js';

const keywords = new Set(
  (
    'select from where and or not insert into values update set delete returning create alter drop table index ' +
    'view grant revoke on to join left right inner outer full cross using group by order having limit offset as ' +
    'distinct union all except intersect case when then else end is null true false begin commit rollback ' +
    'savepoint release start transaction with recursive copy stdin stdout truncate role session authorization ' +
    'reset show listen notify unlisten prepare execute deallocate explain analyze in exists between like ilike ' +
    'primary key references default constraint unique check cascade function returns language do declare if ' +
    'schema database sequence trigger for each row asc desc nulls first last lock vacuum merge matched'
  ).split(' '),
);

// One alternative per token kind, tried in order at each position.
const token =
  /(--[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|('(?:[^']|'')*'?|\$([A-Za-z_]*)\$[\s\S]*?(?:\$\3\$|$))|("(?:[^"]|"")*"?)|(\$\d+)|(\b\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b)|([A-Za-z_][A-Za-z0-9_$]*)/g;

/** The SQL as a `pre` of highlighted text. */
export function highlightSql(sql: string): HTMLElement {
  const pre = h('pre', { class: 'sql' });
  let last = 0;
  for (const m of sql.matchAll(token)) {
    const at = m.index ?? 0;
    if (at > last) pre.append(sql.slice(last, at));
    const text = m[0];
    const kind = m[1]
      ? 'comment'
      : m[2]
        ? 'string'
        : m[4]
          ? 'ident'
          : m[5]
            ? 'param'
            : m[6]
              ? 'number'
              : keywords.has(text.toLowerCase())
                ? 'keyword'
                : null;
    pre.append(kind === null ? text : h('span', { class: `sql-${kind}` }, text));
    last = at + text.length;
  }
  if (last < sql.length) pre.append(sql.slice(last));
  return pre;
}

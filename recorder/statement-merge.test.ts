import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { writeEventJson } from './event-json.js';
import type { JournalEvent, TrailEvent } from './events.js';
import { StatementMerger } from './statement-merge.js';
import { combineStatement, eventsOfRecord } from './statement-record.js';
import { sampleSession, statementFinished, statementStarted } from './testing/sample-events.js';

function merged(events: readonly TrailEvent[], releaseAfter: ReadonlySet<number> = new Set()): JournalEvent[] {
  const out: JournalEvent[] = [];
  const merger = new StatementMerger((e) => out.push(e));
  events.forEach((e, n) => {
    merger.offer(e);
    if (releaseAfter.has(n)) merger.release();
  });
  merger.release();
  return out;
}

const typesOf = (events: readonly JournalEvent[]) => events.map((e) => `${e.type}:${e.session}`);

test('a start followed by its finish is one statement record that reads back as the two events', () => {
  const started = statementStarted('a', 1);
  const finished = statementFinished('a', 1);
  const out = merged([started, finished]);
  expect(out).toEqual([combineStatement(started, finished)]);
  expect(eventsOfRecord(out[0]!)).toEqual([started, finished]);
});

test('the statement record holds every member once, in the started order, then finishedTs and the finished ones', () => {
  const record = combineStatement(statementStarted('a', 1), statementFinished('a', 1));
  expect(Object.keys(record)).toEqual([
    'type',
    'ts',
    'session',
    'statement',
    'user',
    'role',
    'protocol',
    'sql',
    'params',
    'preparedName',
    'portal',
    'redaction',
    'finishedTs',
    'command',
    'rows',
    'error',
    'durationMs',
    'txStatus',
    'resultDigest',
    'notExecuted',
    'copy',
    'capturedRows',
  ]);
});

test('a whole session reads back as exactly the events emitted, in order', () => {
  const events = sampleSession('s', 41);
  const out = merged(events);
  expect(out.length).toBeLessThan(events.length);
  expect(out.flatMap(eventsOfRecord)).toEqual(events);
});

test('a start still held when the batch starts is queued as a plain start; its finish stays a finish', () => {
  const out = merged([statementStarted('a', 1), statementFinished('a', 1)], new Set([0]));
  expect(typesOf(out)).toEqual(['statement.started:a', 'statement.finished:a']);
});

test('another event of the same session between a start and its finish is never merged across', () => {
  const cancel: TrailEvent = {
    type: 'statement.cancel_requested',
    ts: 1,
    session: 'a',
    statement: 1,
    client: { address: '127.0.0.1', port: 1 },
  };
  const out = merged([statementStarted('a', 1), cancel, statementFinished('a', 1)]);
  expect(typesOf(out)).toEqual(['statement.started:a', 'statement.cancel_requested:a', 'statement.finished:a']);
});

test('pipelined statements of one session: a second start queues the first, and neither merges across the other', () => {
  const events = [
    statementStarted('a', 1),
    statementStarted('a', 2),
    statementFinished('a', 1),
    statementFinished('a', 2),
  ];
  expect(merged(events)).toEqual(events);
});

test('sessions interleave freely; held starts are released in the order they were emitted', () => {
  const out = merged([
    statementStarted('a', 1),
    statementStarted('b', 1),
    statementStarted('c', 1),
    statementFinished('b', 1),
  ]);
  expect(typesOf(out)).toEqual(['statement:b', 'statement.started:a', 'statement.started:c']);
});

test("a session's close queues its held start first", () => {
  const events = sampleSession('s', 4);
  const [opened, started, , closed] = events;
  const out = merged([opened!, started!, closed!]);
  expect(typesOf(out)).toEqual(['session.opened:s', 'statement.started:s', 'session.closed:s']);
});

test("docs/journal-format.md §14: the worked example's statement record is what the writer makes of §8's two events", () => {
  const doc = readFileSync(new URL('../docs/journal-format.md', import.meta.url), 'utf8');
  const eventOf = (type: string) => {
    const line = doc.split('\n').find((l) => l.includes(`"event":{"type":"${type}"`));
    if (line === undefined) throw new Error(`no ${type} line`);
    return line.slice(line.indexOf('"event":') + 8, -1);
  };
  const started = JSON.parse(eventOf('statement.started')) as TrailEvent;
  const finished = JSON.parse(eventOf('statement.finished')) as TrailEvent;
  const out: JournalEvent[] = [];
  const merger = new StatementMerger((e) => out.push(e));
  merger.offer(started);
  merger.offer(finished);
  const bytes = new Uint8Array(4096);
  const json = Buffer.from(bytes.subarray(0, writeEventJson(out[0]!, bytes, 0))).toString('utf8');
  // The §14 line ends with the session chain members, which stand for values there.
  expect(eventOf('statement').replace(',"sprev":"S","sn":N}', '}')).toBe(json);
});

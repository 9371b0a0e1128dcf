import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import type { StatementFinished, StatementStarted } from '../../recorder/events.js';
import { BackendError } from '../backend-error.js';
import { decodeBind, decodeExecute, decodeParse, decodeQuery, decodeTarget } from './client-messages.js';
import { observe } from './testing/observer-harness.js';

const body = (frame: Buffer): Buffer => frame.subarray(5);

describe('client message decoders are strict', () => {
  it('refuse a Query without its terminating zero, or with bytes after it', () => {
    expect(decodeQuery(Buffer.from('select 1'))).toBeNull();
    expect(decodeQuery(Buffer.from('select 1\0garbage\0'))).toBeNull();
    expect(decodeQuery(Buffer.from('select 1\0'))?.toString()).toBe('select 1');
  });

  it('refuse trailing bytes after Parse, Bind, Execute, Describe', () => {
    const extra = (frame: Buffer) => Buffer.concat([body(frame), Buffer.from([0])]);
    expect(decodeParse(body(serialize.parse({ text: 'select 1' })))).not.toBeNull();
    expect(decodeParse(extra(serialize.parse({ text: 'select 1' })))).toBeNull();
    expect(decodeBind(body(serialize.bind({ values: ['1'] })))).not.toBeNull();
    expect(decodeBind(extra(serialize.bind({ values: ['1'] })))).toBeNull();
    expect(decodeExecute(extra(serialize.execute()))).toBeNull();
    expect(decodeTarget(extra(serialize.describe({ type: 'S', name: 'x' })))).toBeNull();
  });

  it('read counts as unsigned 16-bit: a Bind of 40,000 parameters decodes', () => {
    const values = Array.from({ length: 40_000 }, (_, i) => String(i));
    expect(decodeBind(body(serialize.bind({ values })))?.values.length).toBe(40_000);
  });
});

describe('a client message the observer cannot decode', () => {
  it('is refused with 08P01 and recorded as a refused statement with the Query bytes as its text', () => {
    const o = observe();
    const malformed = Buffer.concat([Buffer.from([0x51, 0, 0, 0, 12]), Buffer.from('select 1')]);
    let error: unknown = null;
    try {
      o.client(malformed);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: 'MALFORMED_MESSAGE', sqlstate: '08P01', message: 'malformed Query message' });
    const started = o.sink.events.filter((e): e is StatementStarted => e.type === 'statement.started');
    const finished = o.sink.events.filter((e): e is StatementFinished => e.type === 'statement.finished');
    expect(started.map((e) => [e.statement, e.protocol, e.sql])).toEqual([[1, 'simple', 'select 1']]);
    expect(finished.map((e) => [e.statement, e.error, e.notExecuted])).toEqual([
      [1, { code: '08P01', message: 'malformed Query message' }, true],
    ]);
    expect(o.errors).toEqual([]);
  });

  it('records a malformed Bind without text (its fields cannot be told apart)', () => {
    const o = observe();
    expect(() => o.client(Buffer.from([0x42, 0, 0, 0, 6, 0x78, 0x79]))).toThrow('malformed Bind message');
    expect(o.sink.events.find((e) => e.type === 'statement.started')).toMatchObject({ sql: '', protocol: 'extended' });
  });
});

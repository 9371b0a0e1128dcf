import { describe, expect, it } from 'vitest';
import { parseHoldBody } from './hold-record.js';
import { parsePrunedLine, prunedLine } from './pruned-record.js';

const prev = 'dkQ8I9PKLZOMm1B5yr++lcAKo1pcu/IL6s71THw2XAw=';
const leaf = 'XUj6deySCRzegJqT7RJLpEszUGhFOys5vnphBjZ6HbE=';

describe('pruned record lines', () => {
  it('are written in exactly one form and read back', () => {
    const was = { type: 'statement.started', ts: 1764115200123, session: 'c0ffee01', statement: 1 };
    const line = prunedLine(2, prev, leaf, was);
    expect(line).toBe(
      `{"i":2,"prev":"${prev}","kind":"pruned","leaf":"${leaf}","was":{"type":"statement.started","ts":1764115200123,"session":"c0ffee01","statement":1}}`,
    );
    expect(parsePrunedLine(line)).toEqual({ index: 2, prev, leaf, was });
    expect(
      parsePrunedLine(prunedLine(3, prev, leaf, { ...was, type: 'session.opened', statement: null }))?.was.statement,
    ).toBeNull();
  });

  it('refuse anything else: extra members, spaces, another order, a short leaf, SQL in was', () => {
    const line = prunedLine(2, prev, leaf, { type: 'statement.started', ts: 1, session: 's', statement: 1 });
    for (const bad of [
      line.replace('}}', ',"sql":"select 1"}}'),
      line.replace('"kind":"pruned",', '"kind": "pruned",'),
      line.replace(`"leaf":"${leaf}",`, '').replace(/\}\}$/, `},"leaf":"${leaf}"}`),
      line.replace(leaf, leaf.slice(1)),
      line.replace('"session":"s"', '"session":"s p"'),
      `${line}\n`,
    ])
      expect(parsePrunedLine(bad)).toBeNull();
    expect(() =>
      prunedLine(2, prev, leaf, { type: 'statement.started', ts: 1, session: 'a"b', statement: 1 }),
    ).toThrow();
  });
});

describe('hold records', () => {
  it('take one scope with an id and a time; anything else is refused', () => {
    expect(parseHoldBody({ ts: 1, id: 'h1', scope: { user: 'alice' } })).toEqual({
      id: 'h1',
      ts: 1,
      scope: { user: 'alice' },
      reason: null,
    });
    expect(parseHoldBody({ ts: 1, id: 'h1', scope: { before: 5 }, reason: 'case' })?.reason).toBe('case');
    expect(parseHoldBody({ ts: 1, id: 'h1', scope: { user: 'a', session: 's' } })).toBeNull();
    expect(parseHoldBody({ ts: 1, id: 'h 1', scope: { user: 'a' } })).toBeNull();
    expect(parseHoldBody({ ts: '1', id: 'h1', scope: { user: 'a' } })).toBeNull();
    expect(parseHoldBody({ ts: 1, id: 'h1', scope: { group: 'a' } })).toBeNull();
  });
});

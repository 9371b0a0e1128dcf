import fc from 'fast-check';
import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import { BackendError } from '../backend-error.js';
import { observe } from './testing/observer-harness.js';
import { BackendCode as T } from '../protocol/message-codes.js';
import { serverBody as b } from './testing/server-frames.js';

/** Client frames a real client may send, in any order. */
const clientFrames = fc.constantFrom(
  serialize.query('SELECT 1; SELECT 2'),
  serialize.query(''),
  serialize.parse({ name: 's', text: 'SELECT $1' }),
  serialize.parse({ text: 'SELECT 1' }),
  serialize.bind({ statement: 's', values: ['1'] }),
  serialize.bind({ portal: 'p' }),
  serialize.describe({ type: 'S', name: 's' }),
  serialize.describe({ type: 'P', name: '' }),
  serialize.execute(),
  serialize.execute({ portal: 'p', rows: 1 }),
  serialize.close({ type: 'S', name: 's' }),
  serialize.close({ type: 'P', name: 'p' }),
  serialize.sync(),
  serialize.flush(),
  serialize.copyDone(),
  serialize.copyFail('x'),
  Buffer.from([0x42, 0, 0, 0, 6, 0x78, 0x79]), // a malformed Bind
);

/** Server messages in any order, including malformed bodies. */
const serverMessages = fc.oneof(
  fc.constantFrom(
    [T.ParseComplete, b.empty()],
    [T.BindComplete, b.empty()],
    [T.CloseComplete, b.empty()],
    [T.NoData, b.empty()],
    [T.PortalSuspended, b.empty()],
    [T.EmptyQueryResponse, b.empty()],
    [T.CommandComplete, b.commandComplete('SELECT 1')],
    [T.CommandComplete, b.commandComplete('SET')],
    [T.ErrorResponse, b.error('22012', 'division by zero')],
    [T.ReadyForQuery, b.readyForQuery('I')],
    [T.ReadyForQuery, b.readyForQuery('T')],
    [T.ParameterDescription, b.parameterDescription([23])],
    [T.RowDescription, b.rowDescription([{ name: 'a', typeOid: 23 }])],
    [T.CopyInResponse, b.copyResponse(1)],
    [T.CopyOutResponse, b.copyResponse(1)],
    [T.CopyDone, b.empty()],
    [T.ParameterStatus, b.parameterStatus('session_authorization', 'x')],
    [T.NotificationResponse, b.notification(1, 'c', 'p')],
  ),
  fc.tuple(
    fc.constantFrom(
      T.ErrorResponse,
      T.ReadyForQuery,
      T.ParameterDescription,
      T.RowDescription,
      T.CommandComplete,
      T.NotificationResponse,
    ),
    fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)),
  ),
);

type Step =
  | { kind: 'client'; frame: Buffer }
  | { kind: 'server'; code: number; body: Buffer }
  | { kind: 'row'; body: Buffer; cut: number };

const steps = fc.array(
  fc.oneof(
    clientFrames.map((frame): Step => ({ kind: 'client', frame })),
    serverMessages.map(([code, body]): Step => ({ kind: 'server', code: code as number, body: body as Buffer })),
    fc
      .uint8Array({ minLength: 2, maxLength: 20 })
      .chain((a) => fc.nat({ max: a.length }).map((cut): Step => ({ kind: 'row', body: Buffer.from(a), cut }))),
  ),
  { maxLength: 60 },
);

describe('SessionObserver with arbitrary traffic', () => {
  it('never fails, finishes every statement exactly once, and only statements that started', () => {
    fc.assert(
      fc.property(steps, fc.integer({ min: 0, max: 3 }), (script, captureRows) => {
        const o = observe({ captureRows });
        for (const step of script) {
          if (step.kind === 'client') {
            // A malformed message is refused with 08P01 and ends the session (the forwarder stops).
            try {
              o.client(step.frame);
            } catch (err) {
              expect(err).toBeInstanceOf(BackendError);
              expect((err as BackendError).sqlstate).toBe('08P01');
              break;
            }
          } else if (step.kind === 'server') o.server(step.code, step.body);
          else o.dataRow(step.body, step.cut > 0 && step.cut < step.body.length ? [step.cut] : []);
        }
        o.observer.sessionEnded('client_quit');
        expect(o.errors).toEqual([]);
        const started = o.sink.events.flatMap((e) => (e.type === 'statement.started' ? [e.statement] : []));
        const finished = o.sink.events.flatMap((e) => (e.type === 'statement.finished' ? [e.statement] : []));
        expect(started).toEqual(started.map((_, i) => i + 1));
        expect([...finished].sort((x, y) => x - y)).toEqual(started);
        expect(o.observer.statementCount).toBe(started.length);
      }),
      { numRuns: 2000 },
    );
  });
});

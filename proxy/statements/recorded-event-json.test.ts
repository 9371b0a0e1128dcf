import fc from 'fast-check';
import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import { eventJsonNoRoom, writeEventJson } from '../../recorder/event-json.js';
import type { TrailEvent } from '../../recorder/events.js';
import { createRedactor } from '../../recorder/redaction.js';
import { BackendCode as T } from '../protocol/message-codes.js';
import { observe } from './testing/observer-harness.js';
import { serverBody as b } from './testing/server-frames.js';

/**
 * The journal bytes of what the observer records do not change with the writer's direct JSON
 * encoding (recorder/event-json.ts): every event of generated sessions, after redaction, is written
 * as the bytes of JSON.stringify.
 */

function written(event: object): Buffer {
  let out = Buffer.alloc(64);
  for (;;) {
    const end = writeEventJson(event, out, 0);
    if (end === eventJsonNoRoom) out = Buffer.alloc(out.length * 2);
    else return out.subarray(0, end);
  }
}

/** Client frames with text a client may send: quotes, backslashes, control characters, non-ASCII. */
const clientText = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom("SELECT 'it''s'", "SELECT E'\\n\\\\'", "SELECT '\u0001\t'", "SELECT 'Ünïcødé 😀'"),
);
const clientFrame = fc.oneof(
  clientText.map((sql) => serialize.query(sql)),
  clientText.map((sql) => serialize.query(`${sql}; SELECT 2`)),
  clientText.map((text) => serialize.parse({ name: 's', text })),
  fc.array(fc.option(clientText, { nil: null })).map((values) => serialize.bind({ statement: 's', values })),
  fc.constant(serialize.bind({ statement: 's', values: [Buffer.from([0xff, 0xfe, 0x00])] })),
  fc.constant(serialize.execute()),
  fc.constant(serialize.sync()),
  // A Query whose text is not valid UTF-8.
  fc.constant(Buffer.concat([Buffer.from([0x51, 0, 0, 0, 8]), Buffer.from([0xc3, 0x28, 0x41, 0x00])])),
  fc.constant(serialize.copyData(Buffer.from('1\t\\N\n'))),
  fc.constant(serialize.copyDone()),
);
const serverMessage = fc.constantFrom(
  [T.ParseComplete, b.empty()],
  [T.BindComplete, b.empty()],
  [T.CommandComplete, b.commandComplete('SELECT 1')],
  [T.CommandComplete, b.commandComplete('COPY 3')],
  [T.ReadyForQuery, b.readyForQuery('I')],
  [T.ReadyForQuery, b.readyForQuery('E')],
  [T.ErrorResponse, b.error('42601', 'syntax error at or near "\u0001\\"')],
  [T.ErrorResponse, b.error('28P01', 'password authentication failed for user "x"')],
  [T.NoticeResponse, b.error('01000', 'notice «quoted»')],
  [T.CopyInResponse, b.copyResponse(1)],
  [T.NotificationResponse, b.notification(7, 'chan"nel', 'payload')],
) as fc.Arbitrary<[number, Buffer]>;

describe('writeEventJson on what the statement observer and the redactor emit', () => {
  it('writes the bytes of JSON.stringify for every event of generated sessions', async () => {
    const redactor = await createRedactor([]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            clientFrame.map((f) => ({ client: f })),
            serverMessage.map((m) => ({ server: m })),
          ),
          {
            maxLength: 30,
          },
        ),
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 3 }),
        async (steps, rows) => {
          const { observer, sink, client, server, dataRow } = observe({ captureRows: rows.length });
          for (const step of steps) {
            try {
              if ('client' in step) client(step.client);
              else {
                for (const row of rows) dataRow(b.dataRow([Buffer.from(row)]));
                server(step.server[0], step.server[1]);
              }
            } catch {
              // A frame the observer refuses ends that session's input: what it recorded so far is compared.
              break;
            }
          }
          observer.sessionEnded('client_quit');
          const events: TrailEvent[] = sink.events.map((e) => redactor.redact(e));
          for (const event of events) expect(written(event)).toEqual(Buffer.from(JSON.stringify(event), 'utf8'));
        },
      ),
      { numRuns: 300 },
    );
  });
});

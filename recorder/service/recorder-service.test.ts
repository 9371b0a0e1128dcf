import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTlsFiles } from '../../embedded/tls-files.js';
import { readJournal } from '../journal-reader.js';
import type { JournalWriter } from '../journal-writer.js';
import { ensureSigningKey } from '../signing-key.js';
import { verifyJournalDir } from '../verify-journal-dir.js';
import { readFileSync } from 'node:fs';
import type { RecorderService, RecorderTls } from './recorder-service.js';
import { connectPeer, sampleEvent } from './testing/recorder-peer.js';
import { startTestRecorder } from './testing/test-recorder.js';

const token = 'a-token-of-at-least-16-chars';
const logger = pino({ level: 'silent' });

let dir: string;
let writer: JournalWriter;
let service: RecorderService | null;

async function start(tls: RecorderTls | null = null): Promise<string> {
  const recorder = await startTestRecorder({ dir, token, logger, tls });
  writer = recorder.writer;
  service = recorder.service;
  return recorder.url;
}

async function stop(): Promise<void> {
  await service?.close();
  service = null;
  await writer.close();
}

async function relayed(): Promise<{ instance: string; seq: number; sql: unknown }[]> {
  const out = [];
  for await (const e of readJournal(dir)) {
    const event = e.event as unknown as { relay?: { instance: string; seq: number }; sql?: unknown } | null;
    if (event?.relay) out.push({ ...event.relay, sql: event.sql });
  }
  return out;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgtrail-recorder-service-'));
  await ensureSigningKey(dir, join(dir, 'signing-key'));
  service = null;
});
afterEach(async () => {
  if (service !== null) await stop();
  await rm(dir, { recursive: true, force: true });
});

describe('recorder service', () => {
  it('appends batches with their relay member, acknowledges them durable, and the journal verifies', async () => {
    const url = await start();
    const peer = await connectPeer(url, token);
    expect(await peer.hello('proxy-a')).toEqual({ type: 'welcome', version: 1, durableSeq: 0 });
    peer.batch(1, [sampleEvent(1), sampleEvent(2)]);
    expect(await peer.next('ack')).toEqual({ type: 'ack', durableSeq: 2 });
    peer.batch(3, [sampleEvent(3)]);
    expect(await peer.next('ack')).toEqual({ type: 'ack', durableSeq: 3 });
    peer.socket.close();
    await stop();
    expect(await relayed()).toEqual([
      { instance: 'proxy-a', seq: 1, sql: 'SELECT 1' },
      { instance: 'proxy-a', seq: 2, sql: 'SELECT 2' },
      { instance: 'proxy-a', seq: 3, sql: 'SELECT 3' },
    ]);
    const report = await verifyJournalDir(dir, { pinnedKeys: null, stateFile: null });
    expect(report.intact).toBe(true);
  });

  it('after a restart, welcomes an instance with its last durable sequence and drops a resend of what it holds', async () => {
    let url = await start();
    const first = await connectPeer(url, token);
    await first.hello('proxy-a');
    first.batch(1, [sampleEvent(1), sampleEvent(2)]);
    await first.next('ack');
    first.socket.close();
    await stop();

    url = await start();
    const again = await connectPeer(url, token);
    expect(await again.hello('proxy-a')).toMatchObject({ durableSeq: 2 });
    // A resend from 1: events 1 and 2 are duplicates, 3 is new.
    again.batch(1, [sampleEvent(1), sampleEvent(2), sampleEvent(3)]);
    expect(await again.next('ack')).toEqual({ type: 'ack', durableSeq: 3 });
    const other = await connectPeer(url, token);
    expect(await other.hello('proxy-b')).toMatchObject({ durableSeq: 0 });
    again.socket.close();
    other.socket.close();
    await stop();
    expect((await relayed()).map((r) => `${r.instance}/${r.seq}`)).toEqual(['proxy-a/1', 'proxy-a/2', 'proxy-a/3']);
  });

  it('refuses a replayed sequence on a connection, and a gap, with a Refusal and the connection closed', async () => {
    const url = await start();
    const peer = await connectPeer(url, token);
    await peer.hello('proxy-a');
    peer.batch(1, [sampleEvent(1), sampleEvent(2)]);
    await peer.next('ack');
    peer.batch(2, [sampleEvent(2)]);
    expect(await peer.next('refusal')).toMatchObject({ code: 'RECORDER_SEQUENCE_REPLAYED' });
    expect(await peer.closed).toBe(4000);

    const gap = await connectPeer(url, token);
    expect(await gap.hello('proxy-a')).toMatchObject({ durableSeq: 2 });
    gap.batch(5, [sampleEvent(5)]);
    expect(await gap.next('refusal')).toMatchObject({ code: 'RECORDER_SEQUENCE_GAP' });
    expect(await gap.closed).toBe(4000);

    const skip = await connectPeer(url, token);
    await skip.hello('proxy-a');
    skip.batch(3, [sampleEvent(3)]);
    await skip.next('ack');
    skip.batch(5, [sampleEvent(5)]);
    expect(await skip.next('refusal')).toMatchObject({ code: 'RECORDER_SEQUENCE_GAP' });
    await stop();
    expect((await relayed()).map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('refuses malformed events, frames out of place and events that claim another instance, writing none of the batch', async () => {
    const url = await start();
    const cases: [string, (p: Awaited<ReturnType<typeof connectPeer>>) => void, string][] = [
      ['batch before hello', (p) => p.batch(1, [sampleEvent(1)]), 'RECORDER_UNEXPECTED_FRAME'],
      ['text frame', (p) => p.socket.send('hello'), 'RECORDER_UNEXPECTED_FRAME'],
      ['garbage', (p) => p.socket.send(Buffer.from([0x03, 0, 0])), 'WIRE_FRAME_MALFORMED'],
    ];
    for (const [name, act, code] of cases) {
      const peer = await connectPeer(url, token);
      act(peer);
      expect(await peer.next('refusal'), name).toMatchObject({ code });
    }
    const bad: [string, object][] = [
      ['unknown type', { ...sampleEvent(2), type: 'statement.forged' }],
      ['own relay', { ...sampleEvent(2), relay: { instance: 'x', seq: 1 } }],
      ['other instance', { ...sampleEvent(2), type: 'session.opened', instance: 'proxy-b' }],
      ['no session', { type: 'session.closed', ts: 1 }],
    ];
    for (const [name, event] of bad) {
      const peer = await connectPeer(url, token);
      await peer.hello('proxy-a');
      peer.batch(1, [sampleEvent(1), event]);
      expect(await peer.next('refusal'), name).toMatchObject({ code: 'RECORDER_EVENT_MALFORMED' });
    }
    const newline = await connectPeer(url, token);
    await newline.hello('proxy-a');
    newline.socket.send(
      Buffer.concat([Buffer.from([0x03, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 4]), Buffer.from('{\n}}')]),
    );
    expect(await newline.next('refusal')).toMatchObject({ code: 'RECORDER_EVENT_MALFORMED' });
    await stop();
    expect(await relayed()).toEqual([]);
  });

  it('refuses a wrong or missing token and a missing subprotocol on the upgrade, before any frame', async () => {
    const url = await start();
    await expect(connectPeer(url, 'not-the-token-at-all-no')).rejects.toThrow('HTTP 401');
    await expect(connectPeer(url, null)).rejects.toThrow('HTTP 401');
    const WebSocket = (await import('ws')).default;
    const plain = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    const status = await new Promise<number>((resolve) =>
      plain.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(426);
    expect(service?.connectionCount).toBe(0);
  });

  it('with a client CA, serves wss only to peers with a certificate it signed', async () => {
    const tlsDir = join(dir, 'tls');
    const server = makeTlsFiles(join(tlsDir, 'server'), 'localhost');
    const client = makeTlsFiles(join(tlsDir, 'client'), 'proxy-a', {
      certFile: server.caFile,
      keyFile: join(tlsDir, 'server', 'ca.key'),
    });
    const url = await start({
      cert: readFileSync(server.certFile),
      key: readFileSync(server.keyFile),
      ca: readFileSync(server.caFile),
    });
    const ca = readFileSync(server.caFile);
    await expect(connectPeer(url, token, { ca })).rejects.toThrow();
    const peer = await connectPeer(url, token, {
      ca,
      cert: readFileSync(client.certFile),
      key: readFileSync(client.keyFile),
    });
    expect(await peer.hello('proxy-a')).toMatchObject({ type: 'welcome' });
    peer.socket.close();
  });
});

/** `pgtrail witness`: a C2SP tlog-witness that cosigns the checkpoints of the logs it is given. */
import { nodeSha256 } from '../../recorder/node-sha256.js';
import { parseWitnessedLogs } from '../../witness/witness-logs.js';
import { loadOrCreateWitnessKey, newWitnessName } from '../../witness/witness-key.js';
import { startWitnessServer } from '../../witness/witness-server.js';
import { WitnessState } from '../../witness/witness-state.js';
import { ExitCode, parseFlags, UsageError, type Command, type CommandContext } from '../cli.js';
import { createRootLogger } from '../logger.js';
import { untilSignal } from '../run-proxy.js';

const usage = `usage: pgtrail witness --state DIR [--listen H:P] [--log ORIGIN=VKEY ...] [--name NAME]

Runs a transparency-log witness (https://c2sp.org/tlog-witness): POST /add-checkpoint with a
consistency proof and a signed checkpoint of a known log; answers with an Ed25519 cosignature/v1
once the new size and root are on disk, and refuses any checkpoint that does not extend what it
cosigned before (409 with its size, 422 for a bad proof). Prints "witness vkey: <vkey>" at start:
give that key to journal.witnesses and to auditors (pgtrail verify --witness).
  --state DIR       the witness key (created on first start, mode 0600) and per-log state
  --listen H:P      address to listen on (default 127.0.0.1:7380)
  --log ORIGIN=VKEY a log to witness (a pgtrail journal: its vkey; the origin is the key name);
                    repeatable, and repeat an origin to trust its rotated key as well
  --name NAME       the witness's key name, used only when the key is created
                    (default pgtrail-witness/<16 random hex>)
SIGTERM or SIGINT stops it.
`;

function hostPort(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = Number(m?.[3]);
  if (m === null || port > 65535) throw new UsageError('--listen must be HOST:PORT');
  return { host: m[1] ?? m[2] ?? '', port };
}

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values } = parseFlags(ctx.argv, {
    state: { type: 'string' },
    listen: { type: 'string' },
    log: { type: 'string', multiple: true },
    name: { type: 'string' },
  });
  if (values.state === undefined) throw new UsageError('--state DIR is required');
  const { host, port } = hostPort(values.listen ?? '127.0.0.1:7380');
  const logs = parseWitnessedLogs(values.log ?? [], nodeSha256);
  const key = await loadOrCreateWitnessKey(values.state, values.name ?? newWitnessName());
  const state = new WitnessState(values.state);
  await state.open();
  const logger = createRootLogger({ level: 'info' });
  const signalled = untilSignal();
  const now = () => BigInt(Math.floor(Date.now() / 1000));
  const server = await startWitnessServer({ logs, state, key, now, sha256: nodeSha256 }, logger, host, port);
  ctx.stdout.write(`witness vkey: ${key.key.text}\n`);
  ctx.stdout.write(`witness listening on ${server.host}:${server.port}\n`);
  logger.info({ host: server.host, port: server.port, logs: [...logs.keys()] }, 'witness listening');
  const signal = await signalled;
  logger.info({ signal }, 'shutting down');
  await server.close();
  logger.flush();
  return ExitCode.ok;
}

/** The `witness` command. */
export const witnessCommand: Command = {
  name: 'witness',
  summary: 'run a C2SP tlog-witness that cosigns journal checkpoints',
  usage,
  run,
};

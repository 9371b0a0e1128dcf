import type { Command } from '../cli.js';
import { bundleCommand } from './bundle.js';
import { demoCommand } from './demo.js';
import { exportCommand } from './export.js';
import { holdCommand } from './hold.js';
import { keygenCommand } from './keygen.js';
import { passwdCommand } from './passwd.js';
import { recorderCommand } from './recorder.js';
import { proofCommand } from './proof.js';
import { pruneCommand } from './prune.js';
import { replayCommand } from './replay.js';
import { searchCommand } from './search.js';
import { serveCommand } from './serve.js';
import { sessionsCommand } from './sessions.js';
import { startCommand } from './start.js';
import { verifyCommand } from './verify.js';
import { witnessCommand } from './witness.js';

/** Every subcommand, in the order `pgtrail --help` lists them. Each lives in its own file beside this one. */
export const commands: readonly Command[] = [
  startCommand,
  demoCommand,
  recorderCommand,
  keygenCommand,
  verifyCommand,
  proofCommand,
  bundleCommand,
  witnessCommand,
  passwdCommand,
  sessionsCommand,
  searchCommand,
  replayCommand,
  exportCommand,
  pruneCommand,
  holdCommand,
  serveCommand,
];

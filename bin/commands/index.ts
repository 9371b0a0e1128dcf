import type { Command } from '../cli.js';
import { demoCommand } from './demo.js';
import { keygenCommand } from './keygen.js';
import { passwdCommand } from './passwd.js';
import { replayCommand } from './replay.js';
import { searchCommand } from './search.js';
import { serveCommand } from './serve.js';
import { sessionsCommand } from './sessions.js';
import { startCommand } from './start.js';
import { verifyCommand } from './verify.js';

/** Every subcommand, in the order `pgtrail --help` lists them. Each lives in its own file beside this one. */
export const commands: readonly Command[] = [
  startCommand,
  demoCommand,
  keygenCommand,
  verifyCommand,
  passwdCommand,
  sessionsCommand,
  searchCommand,
  replayCommand,
  serveCommand,
];

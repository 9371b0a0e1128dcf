import type { Command } from '../cli.js';
import { passwdCommand } from './passwd.js';

/** Every subcommand, in the order `pgtrail --help` lists them. Each lives in its own file beside this one. */
export const commands: readonly Command[] = [passwdCommand];

import type { Command } from '../cli.js';

/** Every subcommand, in the order `pgtrail --help` lists them. Each lives in its own file beside this one. */
export const commands: readonly Command[] = [];

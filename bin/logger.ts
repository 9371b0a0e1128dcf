import pino, { type Logger } from 'pino';
import type { LogConfig } from '../config/config.js';

/**
 * The root logger: pino JSON on stderr. Only bin/ creates it; every other module receives a child.
 * Operational logs never carry SQL, parameters, rows or secrets; those keys are redacted as a backstop.
 */
export function createRootLogger(config: LogConfig): Logger {
  return pino(
    {
      level: config.level,
      base: { pid: process.pid },
      redact: {
        paths: ['password', '*.password', 'sql', '*.sql', 'params', '*.params', 'token', '*.token'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}

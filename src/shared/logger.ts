import pino, { type Logger, type LevelWithSilent } from 'pino';
import { redactSensitiveFields } from './sensitive';

export type { Logger };

/** The one logger factory: structured JSON on stdout (or `destination`: CLI commands log to stderr), secrets redacted wherever they appear. */
export function createLogger(level: LevelWithSilent, bindings: Record<string, unknown> = {}, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'alertagent', ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Fields named like secrets (isSensitiveKey), at any of the first levels; credentials in the database URL.
    formatters: { log: (fields) => redactSensitiveFields(fields) },
    redact: { paths: ['config.database.url', 'database.url'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Changes the level at run time; children made without a level of their own follow their root. */
export function setLogLevel(root: Logger, level: LevelWithSilent): void {
  root.level = level;
}

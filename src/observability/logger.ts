import pino, { type Logger } from 'pino';

/**
 * JSON lines on stdout. Every value is JSON-escaped, so a newline or control character inside an
 * event can never start a new log line.
 */
export const createLogger = (level: string): Logger =>
  pino({
    level,
    base: { service: 'datapunk-audit' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'secret'], censor: '[REDACTED]' },
  });

export type { Logger };

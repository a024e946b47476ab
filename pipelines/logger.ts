import { pino, type Logger } from 'pino';

/** Structured JSON logs on stderr (stdout stays free for data, e.g. `generate --out -`). */
export function createLogger(level = process.env['PULSE_LOG_LEVEL'] ?? 'info'): Logger {
  return pino({ level, base: { app: 'customer-pulse' } }, pino.destination(2));
}

/** The same logs into a file (`pulse demo` keeps its terminal output for its summary). */
export function createFileLogger(path: string, level = process.env['PULSE_LOG_LEVEL'] ?? 'info'): Logger {
  return pino({ level, base: { app: 'customer-pulse' } }, pino.destination({ dest: path, sync: true }));
}

import type { DuckDBConnection } from '@duckdb/node-api';
import type { DrainResult } from '../../sinks/alerts/worker.js';

/** A connection to a job's database and how to give it back. */
export interface OpenedDatabase {
  connection: DuckDBConnection;
  close: () => void | Promise<void>;
}

/** Opens the database at `path` (the `--db` of a command). */
export type OpenDatabase = (path: string) => Promise<OpenedDatabase>;

/** Sends a database's alert outbox now (`pulse outbox send`). */
export interface OutboxSender {
  /** The receivers it can send to. */
  readonly receiverNames: readonly string[];
  /** Puts dead deliveries back in the queue; returns how many. */
  requeueDead(filter: { receiver?: string }): Promise<number>;
  /** Sends pending deliveries until none is pending or the timeout (default: the job's `drain_timeout`) passes. */
  drain(options: { receiver?: string; timeoutMs?: number }): Promise<DrainResult>;
  close(): Promise<void>;
}

/**
 * The sender of the outbox in `dbPath`: from a shell, receivers built from the job YAML the
 * command names (`configPath`, its `alerting` section); inside a running job, the job's own.
 */
export type OpenOutboxSender = (dbPath: string, configPath: string | undefined) => Promise<OutboxSender>;

/**
 * Where the commands that work on a job's database (`report`, `cases`, `outbox`, `drift`) get
 * their connection and print to. From a shell they open the file; inside a running job (its HTTP
 * API, pipelines/job-api.ts) they use the job's own database and their output goes back to the
 * caller.
 */
export interface DatabaseAccess {
  /** For commands that change the database. */
  open: OpenDatabase;
  /** For commands that only read (reports). */
  openReadOnly: OpenDatabase;
  /** For `pulse outbox send`. */
  openOutboxSender: OpenOutboxSender;
  write: (text: string) => void;
  /** Asks a person for a password (pulse users add); absent inside a running job. */
  readPassword?: () => Promise<string>;
}

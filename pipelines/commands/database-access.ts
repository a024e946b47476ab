import type { DuckDBConnection } from '@duckdb/node-api';

/** A connection to a job's database and how to give it back. */
export interface OpenedDatabase {
  connection: DuckDBConnection;
  close: () => void | Promise<void>;
}

/** Opens the database at `path` (the `--db` of a command). */
export type OpenDatabase = (path: string) => Promise<OpenedDatabase>;

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
  write: (text: string) => void;
}

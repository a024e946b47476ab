import { closeSync, existsSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SinkError, UsageError } from '../../operators/errors.js';

/**
 * Checks of a `--db` path before DuckDB sees it: DuckDB creates a missing file (so a mistyped path
 * left an empty database behind), reports a directory as an IO error, and opens some other files
 * (an NDJSON file given as `--db` by mistake) as an empty in-memory database without a word, so a
 * job's state went nowhere; these say what is wrong instead.
 */

/** DuckDB's file header: a checksum, then the magic bytes `DUCK`. */
const MAGIC = Buffer.from('DUCK');
const MAGIC_OFFSET = 8;

/** True when `path` is empty (a job creates its database there) or starts with DuckDB's header. */
function isDuckDBFile(path: string): boolean {
  if (statSync(path).size === 0) return true;
  const head = Buffer.alloc(MAGIC_OFFSET + MAGIC.length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  return head.subarray(MAGIC_OFFSET).equals(MAGIC);
}

function notDuckDB(path: string): UsageError {
  return new UsageError(`--db ${path} is not a DuckDB database file; give the database a job writes (store.path), e.g. pulse.duckdb`);
}

/**
 * For a job: the file may be new, but not a directory, and its directory must exist. An empty file
 * is removed, so that DuckDB creates the database there: DuckDB refuses to open a file of no bytes,
 * which is what a job killed while DuckDB created its file leaves (between creating the file and
 * writing its header), and nothing can be lost with it.
 */
export function checkJobDatabasePath(path: string): void {
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new UsageError(`--db ${path} is a directory; give the path of a database file, e.g. ${resolve(path, 'pulse.duckdb')}`);
  }
  if (existsSync(path) && statSync(path).size === 0) rmSync(path);
  if (existsSync(path) && !isDuckDBFile(path)) throw notDuckDB(path);
  const parent = dirname(resolve(path));
  if (!existsSync(parent)) throw new UsageError(`--db ${path}: the directory ${parent} does not exist; create it first`);
}

/** For a command that works on a job's database: it must exist (nothing is created). */
export function checkExistingDatabase(path: string): void {
  if (!existsSync(path)) {
    throw new UsageError(`the database ${path} does not exist (nothing was created); pass the --db of a job that has run`);
  }
  if (statSync(path).isDirectory()) {
    throw new UsageError(`--db ${path} is a directory; give the database file a job wrote, e.g. ${resolve(path, 'pulse.duckdb')}`);
  }
  if (!isDuckDBFile(path)) throw notDuckDB(path);
}

/** DuckDB's words for a file it may not open or write, as the error code Node would give. */
const OPEN_PROBLEMS: ReadonlyArray<[RegExp, string, string]> = [
  [/permission denied/i, 'EACCES', 'permission denied'],
  [/read-only file system/i, 'EROFS', 'on a read-only file system'],
  [/no such file or directory/i, 'ENOENT', 'a file cannot be created there'],
];

/**
 * A DuckDB open error a person caused: a file of an older or newer format is a UsageError; a file
 * DuckDB may not create or write (permissions, a read-only file system) a failure that names the
 * path, the problem and what to do, not DuckDB's "IO Error"; anything else as it is.
 */
export function explainOpenError(path: string, error: unknown): unknown {
  const message = (error as Error).message ?? '';
  if (/not a valid DuckDB database file|database file .* is not valid/i.test(message)) return notDuckDB(path);
  // A file cut short (a copy or a disk that filled while it was written): its header promises more.
  if (/Could not read enough bytes from file/i.test(message)) {
    return new SinkError(
      `the database ${path} is damaged: it is shorter than its own header says (cut short by a copy, or by a disk that filled while it ` +
        'was written); restore it from a backup (deploy/README.md, "Backup and restore") or run into a new --db from the start of the input',
      { cause: error },
    );
  }
  if (/Cannot open file/i.test(message)) {
    for (const [pattern, code, problem] of OPEN_PROBLEMS) {
      if (!pattern.test(message)) continue;
      return new SinkError(
        `cannot open the database ${path}: ${code} (${problem}); DuckDB creates the file and its .wal beside it, ` +
          `so give a --db (store.path) in a directory this user can write, or fix its permissions`,
        { cause: error },
      );
    }
  }
  return error;
}

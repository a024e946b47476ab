import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { PulseError } from '../../../operators/errors.js';
import { explainOpenError } from '../../../sinks/duckdb/database-path.js';

/** DuckDB's messages as @duckdb/node-api throws them (seen on /sys, a read-only mount and /proc). */
const duckdbError = (problem: string): Error => new Error(`IO Error: Cannot open file "/srv/pulse.duckdb": ${problem}`);

describe('explainOpenError', () => {
  it.each([
    ['Permission denied', 'EACCES (permission denied)'],
    ['Read-only file system', 'EROFS (on a read-only file system)'],
    ['No such file or directory', 'ENOENT (a file cannot be created there)'],
  ])('a file DuckDB may not create (%s) is a failure naming the path, the problem and what to do', (problem, words) => {
    const explained = explainOpenError('/srv/pulse.duckdb', duckdbError(problem));
    expect(explained).toBeInstanceOf(PulseError);
    const error = explained as PulseError;
    expect(error.kind).toBe('failure');
    expect(error.message).toContain(`cannot open the database /srv/pulse.duckdb: ${words}`);
    expect(error.message).toContain('in a directory this user can write');
    expect(error.message).not.toContain('IO Error');
  });

  it('a file of another format is a usage error; anything else is passed on as it is', () => {
    const other = explainOpenError('/srv/x.duckdb', new Error('IO Error: The file "/srv/x.duckdb" exists, but it is not a valid DuckDB database file!'));
    expect((other as PulseError).kind).toBe('usage');
    const unknown = new Error('IO Error: Cannot open file "/srv/pulse.duckdb": Too many open files');
    expect(explainOpenError('/srv/pulse.duckdb', unknown)).toBe(unknown);
  });

  it('a database file cut short says it is damaged and what to do, not DuckDB\'s "Could not read enough bytes"', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pulse-cut-db-')), 'pulse.duckdb');
    const whole = await DuckDBInstance.create(path);
    const connection = await whole.connect();
    await connection.run('CREATE TABLE t AS SELECT range AS n, md5(range::VARCHAR) AS s FROM range(300000)');
    connection.closeSync();
    whole.closeSync();
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const failure = await DuckDBInstance.create(path)
      .then(
        async (instance) => {
          // Depending on where the cut falls, DuckDB fails at the open or at the first read.
          const c = await instance.connect();
          await c.run('SELECT count(*) FROM t');
          return undefined;
        },
        (error: unknown) => error,
      )
      .catch((error: unknown) => error);
    const explained = explainOpenError(path, failure) as PulseError;
    expect(explained).toBeInstanceOf(PulseError);
    expect(explained.message).toBe(
      `the database ${path} is damaged: it is shorter than its own header says (cut short by a copy, or by a disk that filled while it ` +
        'was written); restore it from a backup (deploy/README.md, "Backup and restore") or run into a new --db from the start of the input',
    );
  });
});

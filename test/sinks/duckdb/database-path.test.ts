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
});

import { spawn } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../pipelines/open-store.js';

/** Holds `path` open in another process for `ms`; resolves once the file is locked. */
function holdOpen(path: string, ms: number): Promise<void> {
  const script = `
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(${JSON.stringify(path)});
    process.stdout.write('locked\\n');
    setTimeout(() => { instance.closeSync(); process.exit(0); }, ${ms});`;
  const holder = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    holder.stdout.on('data', () => resolve());
    holder.on('exit', (code) => reject(new Error(`the holder exited (${code}) before locking`)));
  });
}

describe('openStore', () => {
  it('creates the database in an empty file (what a job killed while DuckDB created its file leaves)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pulse-empty-')), 'job.duckdb');
    writeFileSync(path, '');
    const store = await openStore(path);
    try {
      await store.connection.run('CREATE TABLE probe (x INTEGER)');
      await store.connection.run('INSERT INTO probe VALUES (1)');
    } finally {
      store.close();
    }
    expect(statSync(path).size).toBeGreaterThan(0);
  }, 30_000);

  it('waits for a command that holds the file for a moment instead of failing the job', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pulse-lock-')), 'job.duckdb');
    await holdOpen(path, 1_500);
    const started = Date.now();
    const store = await openStore(path);
    try {
      // It had to wait: the holder kept the lock for 1.5 s after taking it.
      expect(Date.now() - started).toBeGreaterThan(500);
      await store.connection.run('SELECT 1');
    } finally {
      store.close();
    }
  }, 30_000);
});

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StoreLockedError } from '../../../operators/errors.js';
import { REPORT_KINDS, reportCommand, runReport } from '../../../pipelines/commands/report.js';
import { buildFixture } from './fixture.js';
import type { Fixture } from './fixture.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await buildFixture();
  fx.close(); // the command opens the file itself, read-only
});

describe('pulse report', () => {
  it('writes the kpi and customer reports and prints their paths', async () => {
    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      const out = join(fx.dir, 'cli');
      await reportCommand().parseAsync(['kpi', '--db', fx.path, '--out', out, '--window', '15m', '--queue', 'billing', '--kpi', 'service_level'], {
        from: 'user',
      });
      await reportCommand().parseAsync(['customer', '--db', fx.path, '--out', out, '--customer', 'c1'], { from: 'user' });
      await reportCommand().parseAsync(['kpi', '--db', fx.path, '--out', out, '--alert', 'a-kpi'], { from: 'user' });
    } finally {
      spy.mockRestore();
    }
    const paths = printed.join('').trim().split('\n');
    expect(paths.map((p) => p.slice(p.lastIndexOf('/') + 1))).toEqual([
      'kpi-service_level-billing-15m-2026-01-05T10-45-00Z.html',
      'kpi-service_level-billing-15m-2026-01-05T10-45-00Z.md',
      'customer-c1-1d-2026-01-06T00-00-00Z.html',
      'customer-c1-1d-2026-01-06T00-00-00Z.md',
      'kpi-abandon_rate-billing-voice-15m-2026-01-05T10-45-00Z-billing_abandon_rate.html',
      'kpi-abandon_rate-billing-voice-15m-2026-01-05T10-45-00Z-billing_abandon_rate.md',
    ]);
    for (const p of paths) expect(existsSync(p)).toBe(true);
    expect([...REPORT_KINDS.keys()]).toEqual(['kpi', 'customer', 'drift']);
  });

  it('rejects bad usage through commander', async () => {
    const command = reportCommand();
    for (const c of command.commands) c.exitOverride().configureOutput({ writeErr: () => undefined });
    await expect(command.parseAsync(['customer', '--db', fx.path, '--out', fx.dir], { from: 'user' })).rejects.toThrow(/--customer/);
  });

  it('says who owns the file when a job holds the lock', async () => {
    // Another process holds the database read-write, like a running job.
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { DuckDBInstance } from '@duckdb/node-api'; const i = await DuckDBInstance.create(${JSON.stringify(fx.path)}); await i.connect(); console.log('ready'); setInterval(() => {}, 1000);`,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => (String(d).includes('ready') ? resolve() : undefined));
        holder.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
      });
      const attempt = runReport('kpi', { db: fx.path, out: fx.dir });
      await expect(attempt).rejects.toBeInstanceOf(StoreLockedError);
      await expect(runReport('kpi', { db: fx.path, out: fx.dir })).rejects.toThrow(/a running job or `pulse console` holds its DuckDB file.*HTTP API/s);
    } finally {
      holder.kill('SIGTERM');
    }
  });
});

afterAll(() => undefined);

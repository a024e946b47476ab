/** `pulse generate --patterns`: the built CLI checks the names and passes them to the generator. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = join(process.cwd(), 'dist/pipelines/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'pulse-gen-patterns-'));
const generate = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, 'generate', '--out', join(dir, 'e.ndjson'), '--customers', '20', '--days', '3', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('pulse generate --patterns', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an unknown name exits 2 and lists the known ones', () => {
    const r = generate('--patterns', 'weekend,weekends');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown pattern weekends; use a comma-separated list of weekend, payday, holiday, bigticket, gaps');
  });

  it('known names reach the ground truth', () => {
    const r = generate('--patterns', 'gaps, bigticket');
    expect(r.status).toBe(0);
    const truth = JSON.parse(readFileSync(join(dir, 'e.truth.json'), 'utf8')) as { behaviour_patterns: { enabled: string[] } };
    expect(truth.behaviour_patterns.enabled).toEqual(['bigticket', 'gaps']);
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pulseIn } from '../helpers/stdin-job.js';

describe('the job starting line of the log', () => {
  it('names the inputs of a files source, stdin as stdin (it said only "files" for --input -)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-start-log-'));
    const lines = readFileSync('samples/events.ndjson', 'utf8').split('\n').slice(0, 50).join('\n') + '\n';
    const ran = pulseIn(dir, lines, 'run', '--config', join(process.cwd(), 'pipelines/customer-analytics.yaml'), '--input', '-', '--db', 'p.duckdb');
    expect(ran.status).toBe(0);
    const starting = ran.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['msg'] === 'job starting');
    expect(starting).toMatchObject({ source: 'files', inputs: ['stdin'] });
  });
});

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeneratorConfigError, defaultTruthPath, generate } from '../../../sources/generator/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pulse-gen-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const small = { customers: 60, days: 30 };

describe('generate: determinism and files', () => {
  it('gives byte-identical events and truth for the same options, and different ones for another seed', async () => {
    const a = await generate({ ...small, seed: 11, out: join(dir, 'a.ndjson') });
    const b = await generate({ ...small, seed: 11, out: join(dir, 'b.ndjson') });
    const c = await generate({ ...small, seed: 12, out: join(dir, 'c.ndjson') });
    const [fa, fb, fc] = await Promise.all(['a', 'b', 'c'].map((n) => readFile(join(dir, `${n}.ndjson`))));
    expect(fa!.length).toBeGreaterThan(5000);
    expect(fa!.equals(fb!)).toBe(true);
    expect(fa!.equals(fc!)).toBe(false);
    const [ta, tb] = await Promise.all([readFile(a.groundTruthPath, 'utf8'), readFile(b.groundTruthPath, 'utf8')]);
    expect(ta).toBe(tb);
    expect(a).toEqual({ ...b, groundTruthPath: a.groundTruthPath });
    expect(c.events).not.toBe(a.events);
  });

  it('writes the truth beside the output and counts every line it wrote', async () => {
    const out = join(dir, 'sub', 'events.ndjson');
    const progress: number[] = [];
    const r = await generate({ ...small, seed: 3, out, onProgress: (n) => progress.push(n) });
    expect(r.groundTruthPath).toBe(join(dir, 'sub', 'events.truth.json'));
    const text = await readFile(out, 'utf8');
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.length).toBe(r.lines);
    expect(r.lines).toBe(r.events + r.duplicates + r.malformed);
    const truth = JSON.parse(await readFile(r.groundTruthPath, 'utf8')) as { counts: { lines: number; events: number } };
    expect(truth.counts.lines).toBe(r.lines);
    expect(truth.counts.events).toBe(r.events);
    expect(progress.at(-1)).toBe(r.lines);
    expect([...progress].sort((x, y) => x - y)).toEqual(progress);
    // About 5-8 events per customer and day with the defaults.
    const perCustomerDay = r.events / (small.customers * small.days);
    expect(perCustomerDay).toBeGreaterThan(5);
    expect(perCustomerDay).toBeLessThan(8);
  });

  it('derives the truth path from the output name', () => {
    expect(defaultTruthPath('/x/events.ndjson')).toBe('/x/events.truth.json');
    expect(defaultTruthPath('/x/events')).toBe('/x/events.truth.json');
  });

  it('rejects bad options with a message that names the option (as the command line names it)', async () => {
    await expect(generate({ ...small, seed: 1, out: '-' })).rejects.toThrow(/^--truth is required when writing events to stdout \(--out -\)/);
    await expect(generate({ ...small, customers: 0, seed: 1, out: join(dir, 'x.ndjson') })).rejects.toBeInstanceOf(GeneratorConfigError);
    await expect(generate({ ...small, seed: 1.5, out: join(dir, 'x.ndjson') })).rejects.toThrow(/^--seed must be an integer/);
    await expect(generate({ ...small, seed: 1, start: 'monday', out: join(dir, 'x.ndjson') })).rejects.toThrow(/^--start must be an ISO 8601/);
    await expect(generate({ ...small, seed: 1, lateRate: 2, out: join(dir, 'x.ndjson') })).rejects.toThrow(/'lateRate'/);
    // A directory is a usage mistake (exit 2), not a failure to write (EISDIR, exit 1).
    await expect(generate({ ...small, seed: 1, out: dir })).rejects.toThrow(/^--out .* is a directory; give a file in it, e\.g\. --out .*\/events\.ndjson/);
  });

  it('writes no shifts when the period is too short for 21 days of history, and no drift when asked', async () => {
    const r = await generate({ customers: 40, days: 20, seed: 5, drift: false, out: join(dir, 'short.ndjson') });
    const truth = JSON.parse(await readFile(r.groundTruthPath, 'utf8')) as { shifts: unknown[]; drift: { enabled: boolean } };
    expect(truth.shifts).toEqual([]);
    expect(truth.drift.enabled).toBe(false);
  });
});

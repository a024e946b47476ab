import { describe, expect, it } from 'vitest';
import { renderStatus, statusCommand } from '../../../pipelines/commands/status.js';
import type { MemberStatus } from '../../../pipelines/job-status.js';
import { PulseError } from '../../../operators/errors.js';

const NOW = Date.parse('2026-12-03T12:00:10Z');

function member(over: Partial<MemberStatus>): MemberStatus {
  return {
    job: 'kafka-job',
    member: 'host-a:101',
    db: '/data/a.duckdb',
    source: { name: 'kafka', type: 'kafka' },
    group: 'g',
    watermark: '2026-12-03T11:55:00.000Z',
    lastCheckpointAt: '2026-12-03T12:00:07.000Z',
    partitions: [],
    otherPartitions: [],
    errors: [],
    merge: null,
    ...over,
  };
}

const partition = (name: string, committed: number | null, high: number | null, lag: number | null) => ({
  name,
  committedOffset: committed,
  readOffset: committed,
  lowWatermark: 0,
  highWatermark: high,
  lag,
  restore: null,
});

const other = (name: string, committed: number | null, high: number | null, lag: number | null) => ({
  name,
  topic: 'events',
  partition: Number(name.slice(-1)),
  committedOffset: committed,
  lowWatermark: 0,
  highWatermark: high,
  lag,
});

describe('renderStatus', () => {
  it('prints one block per member with its partitions, and restores by phase and rows', () => {
    const a = member({
      partitions: [
        partition('events/0', 12_344, 12_345, 0),
        {
          ...partition('events/1', 99, 2_000, 1_900),
          restore: { phase: 'importing', rows: 52_000, rowsRestored: 0, offset: 99, startedAt: NOW - 3_000 },
        },
      ],
    });
    const b = member({
      member: 'host-b:202',
      lastCheckpointAt: null,
      partitions: [
        {
          ...partition('events/2', 7, 7, 0),
          restore: { phase: 'done', rows: 1_200, rowsRestored: 1_200, offset: 5, startedAt: NOW - 2_500, finishedAt: NOW - 1_000 },
        },
      ],
      otherPartitions: [other('events/0', 12_344, 12_345, 0), other('events/3', null, 40, 40)],
      errors: ['watermarks of events/3: Local: Timed out'],
    });
    const text = renderStatus([a, b], NOW);
    expect(text).toContain('member host-a:101  job kafka-job  source kafka (kafka)  group g');
    expect(text).toContain('last checkpoint 2026-12-03T12:00:07.000Z (3 s ago)');
    expect(text).toMatch(/events\/0\s+12,344\s+12,344\s+12,345\s+0\s+-\n/);
    expect(text).toContain('importing (0/52,000 rows)');
    expect(text).toContain('done in 1.5 s (1,200/1,200 rows)');
    expect(text).toContain('last checkpoint none yet');
    expect(text).toContain('warning: watermarks of events/3: Local: Timed out');
    // events/0 is A's, shown in its block; only events/3 is left for "other members".
    const others = text.slice(text.indexOf('partitions of other members'));
    expect(others).toMatch(/events\/3\s+-\s+40\s+40\n/);
    expect(others).not.toContain('events/0');
  });

  it('shows the merge partitions a member follows: merged offset, high watermark, lag; and what the brokers did not answer', () => {
    const text = renderStatus(
      [
        member({
          merge: {
            topic: 'pulse-merge',
            partitions: [
              { partition: 0, mergedOffset: 1_232, highWatermark: 1_240, lag: 7 },
              { partition: 2, mergedOffset: null, highWatermark: null, lag: null },
            ],
            errors: ['watermarks of pulse-merge/2: Local: Timed out'],
          },
        }),
      ],
      NOW,
    );
    expect(text).toContain('  merge topic pulse-merge\n');
    expect(text).toMatch(/MERGE PARTITION\s+MERGED\s+HIGH\s+LAG\n/);
    expect(text).toMatch(/\n {2}0\s+1,232\s+1,240\s+7\n/);
    expect(text).toMatch(/\n {2}2\s+-\s+-\s+-\n/);
    expect(text).toContain('warning: watermarks of pulse-merge/2: Local: Timed out');
    // Without the option: no merge block.
    expect(renderStatus([member({})], NOW)).not.toContain('merge topic');
  });

  it('says when a member has no partitions (all taken by others)', () => {
    expect(renderStatus([member({})], NOW)).toContain('no partitions assigned');
  });
});

describe('statusCommand', () => {
  it('asks each --db for its status and prints {"members": [...]} with --json', async () => {
    let out = '';
    const asked: string[] = [];
    const command = statusCommand({ write: (t) => void (out += t) }, async (db) => {
      asked.push(db);
      return { exitCode: 0, stdout: JSON.stringify(member({ db })), stderr: '' };
    });
    await command.parseAsync(['--db', 'a.duckdb', '--db', 'b.duckdb', '--json'], { from: 'user' });
    expect(asked).toEqual(['a.duckdb', 'b.duckdb']);
    expect((JSON.parse(out) as { members: MemberStatus[] }).members.map((m) => m.db)).toEqual(['a.duckdb', 'b.duckdb']);
  });

  it('shows the members that answer when another does not, names the one that did not, and fails (exit 1)', async () => {
    let out = '';
    const command = statusCommand({ write: (t) => void (out += t) }, async (db) => {
      if (db === 'down.duckdb') return undefined;
      if (db === 'broken.duckdb') return { exitCode: 1, stdout: '', stderr: 'status failed' };
      return { exitCode: 0, stdout: JSON.stringify(member({ db })), stderr: '' };
    });
    const run = command.parseAsync(['--db', 'a.duckdb', '--db', 'down.duckdb', '--db', 'broken.duckdb', '--json'], { from: 'user' });
    const error: unknown = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PulseError);
    expect((error as PulseError).kind).toBe('failure');
    expect((error as Error).message).toMatch(
      /^2 of 3 members did not answer .*no job is running on down\.duckdb.*the job on broken\.duckdb answered: status failed/,
    );
    const shown = JSON.parse(out) as { members: MemberStatus[]; unanswered: Array<{ db: string }> };
    expect(shown.members.map((m) => m.db)).toEqual(['a.duckdb']);
    expect(shown.unanswered.map((u) => u.db)).toEqual(['down.duckdb', 'broken.duckdb']);
  });

  it('fails with a usage error naming the database when no job serves it', async () => {
    const command = statusCommand({ write: () => undefined }, async () => undefined).exitOverride();
    await expect(command.parseAsync(['--db', 'x.duckdb'], { from: 'user' })).rejects.toThrow(/no job is running on x\.duckdb/);
  });
});

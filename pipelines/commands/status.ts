import { Command } from 'commander';
import { PulseError, UsageError } from '../../operators/errors.js';
import { apiAddressFile } from '../job-api-address.js';
import { runInJob, STATUS_COMMAND, type CommandResult } from '../job-api.js';
import type { MemberPartition, MemberStatus, MergeStatus } from '../job-status.js';
import { renderTable } from '../../sinks/terminal-text.js';

/** Asks the job holding a database for its status (pipelines/job-api.ts); tests pass their own. */
export type AskJob = (db: string, argv: readonly string[]) => Promise<CommandResult | undefined>;

/**
 * `pulse status --db PATH [--db PATH ...] [--json]`: what running jobs are doing now, one member
 * of a consumer group per database: partitions, committed offsets, lag, state restores, watermark
 * and last checkpoint. Each job answers through its command API from memory (no database work),
 * so a status is quick even while the job checkpoints.
 */
export function statusCommand(io: { write: (text: string) => void; now?: () => number }, ask: AskJob = runInJob): Command {
  return (
    new Command(STATUS_COMMAND)
      .description("show running jobs' partitions, lag, state restores, merge partitions, watermark and last checkpoint (one --db per member)")
      .requiredOption('--db <path>', 'the DuckDB file of a running job; repeat for each member on this host', (v: string, prev: string[] = []) => [...prev, v])
      .option('--json', 'print {"members": [...]} as JSON')
      // A usage mistake is thrown to the CLI (exit 2), not exited on by commander (exit 1).
      .exitOverride()
      .action(async (options: { db: string[]; json?: boolean }) => {
        const members: MemberStatus[] = [];
        const unanswered: Array<{ db: string; error: unknown }> = [];
        for (const db of options.db) {
          try {
            members.push(await memberStatus(db, ask));
          } catch (error) {
            unanswered.push({ db, error });
          }
        }
        // With no member answering, the first one's error is the answer (exit 2 when no job serves it).
        if (members.length === 0) throw unanswered[0]!.error;
        // The members that answer are shown when others do not: a member down is when a group's status matters most.
        const missing = unanswered.map(({ db, error }) => ({ db, error: (error as Error).message }));
        io.write(
          options.json
            ? `${JSON.stringify({ members, ...(missing.length > 0 ? { unanswered: missing } : {}) }, null, 2)}\n`
            : renderStatus(members, (io.now ?? Date.now)()),
        );
        if (missing.length > 0) {
          throw new PulseError(
            'JOB_API_FAILED',
            `${missing.length} of ${options.db.length} members did not answer (their status is not shown): ` + missing.map(({ error }) => error).join('; '),
          );
        }
      })
  );
}

async function memberStatus(db: string, ask: AskJob): Promise<MemberStatus> {
  const result = await ask(db, [STATUS_COMMAND]);
  if (result === undefined) {
    throw new UsageError(
      `no job is running on ${db} with an API (no ${apiAddressFile(db)}); pulse status asks a running job: ` +
        `start it with --metrics-port N (or metrics.port)`,
    );
  }
  if (result.exitCode !== 0) throw new PulseError('JOB_API_FAILED', `the job on ${db} answered: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as MemberStatus;
}

const number = (n: number | null): string => (n === null ? '-' : n.toLocaleString('en-US'));

function ago(at: string | null, now: number): string {
  if (at === null) return 'none yet';
  return `${at} (${Math.max(0, Math.round((now - Date.parse(at)) / 1000))} s ago)`;
}

function restoreText(partition: MemberPartition): string {
  const { restore } = partition;
  if (restore === null) return '-';
  const rows = `${number(restore.rowsRestored)}/${number(restore.rows)} rows`;
  if (restore.phase !== 'done') return `${restore.phase.replaceAll('_', ' ')} (${rows})`;
  return `done in ${((restore.finishedAt! - restore.startedAt) / 1000).toFixed(1)} s (${rows})`;
}

/** A table of the status block: numbers right-aligned, each line indented under its member. */
function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, numeric: readonly boolean[]): string {
  return renderTable(header, rows, { numeric })
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => `  ${l}\n`)
    .join('');
}

/** The merge partitions a member follows (job option `merge`): merged offset, high watermark, records not merged yet. */
function mergeText(merge: MergeStatus): string {
  let out = `  merge topic ${merge.topic}\n`;
  const rows = merge.partitions.map((p) => [String(p.partition), number(p.mergedOffset), number(p.highWatermark), number(p.lag)]);
  out += rows.length === 0 ? '  no merge partitions followed\n' : table(['MERGE PARTITION', 'MERGED', 'HIGH', 'LAG'], rows, [false, true, true, true]);
  for (const error of merge.errors) out += `  warning: ${error}\n`;
  return out;
}

/** The human-readable status: a block per member, then the partitions no member given here reads. */
export function renderStatus(members: readonly MemberStatus[], now: number): string {
  let out = '';
  const shown = new Set<string>();
  for (const m of members) {
    out += `member ${m.member}  job ${m.job}  source ${m.source.name} (${m.source.type})${m.group === null ? '' : `  group ${m.group}`}\n`;
    out += `  db ${m.db}\n  watermark ${m.watermark ?? 'none yet'}\n  last checkpoint ${ago(m.lastCheckpointAt, now)}\n`;
    const rows = m.partitions.map((p) => {
      shown.add(p.name);
      return [p.name, number(p.committedOffset), number(p.readOffset), number(p.highWatermark), number(p.lag), restoreText(p)];
    });
    out +=
      rows.length === 0
        ? '  no partitions assigned\n'
        : table(['PARTITION', 'COMMITTED', 'READ', 'HIGH', 'LAG', 'RESTORE'], rows, [false, true, true, true, true, false]);
    for (const error of m.errors) out += `  warning: ${error}\n`;
    if (m.merge) out += mergeText(m.merge);
  }
  const others = new Map<string, MemberStatus['otherPartitions'][number]>();
  for (const m of members) for (const p of m.otherPartitions) if (!shown.has(p.name) && !others.has(p.name)) others.set(p.name, p);
  if (others.size > 0) {
    out += `partitions of other members (their offsets as committed to Kafka after each checkpoint)\n`;
    const rows = [...others.values()].map((p) => [p.name, number(p.committedOffset), number(p.highWatermark), number(p.lag)]);
    out += table(['PARTITION', 'COMMITTED', 'HIGH', 'LAG'], rows, [false, true, true, true]);
  }
  return out;
}

import type { DuckDBConnection } from '@duckdb/node-api';
import type { LocalOperator } from '../operators/parallel.js';
import type { CaseStatusInfo, NewDeadline, ReopenedCase } from '../operators/service/case-status.js';
import type { SettledCase } from '../operators/service/operator.js';
import { applyPeopleChanges, prepareCaseCheckpoint, watchesCaseDeadlines, type CaseCheckpointWork, type CaseDeadlineWatcher } from '../sinks/cases/index.js';
import type { ShardPool } from './shards/pool.js';
import { shardOf } from './shards/routing.js';
import type { JobClock } from '../sinks/duckdb/job-clock.js';

/** How the case work reaches the operators' local parts on the shards (pool.ts). */
export type CaseShards = Pick<ShardPool, 'size' | 'ask' | 'askEach'>;

/**
 * Case deadlines across the shards: at each checkpoint, overdue escalations of the operators whose
 * local parts hold cases (the service operator) are settled against the `cases` table, where
 * people may have closed them, and changes people made become notifications (sinks/cases).
 */
export class CaseDeadlines {
  /** Indexes of the operators whose local parts hold cases with deadlines. */
  private readonly watchers: number[];

  constructor(prototypes: readonly LocalOperator[]) {
    this.watchers = prototypes.flatMap((local, i) => (watchesCaseDeadlines(local) ? [i] : []));
  }

  /** True when some operator holds cases: a live job's clock then brings work while its source is silent. */
  get active(): boolean {
    return this.watchers.length > 0;
  }

  /**
   * The checkpoint's case work, judged by the job clock (sinks/duckdb/job-clock.ts; the wall clock
   * `now` before there is one); undefined when no operator holds cases.
   */
  async prepare(connection: DuckDBConnection, shards: CaseShards, clock: JobClock | undefined, now: number): Promise<CaseCheckpointWork | undefined> {
    if (!this.active) return undefined;
    return prepareCaseCheckpoint(connection, this.askers(shards), clock?.at ?? now, clock?.basis === 'wall' ? clock.at : undefined);
  }

  /** When the job starts: the operators hear of the cases people closed or reopened since the last checkpoint. */
  async restored(connection: DuckDBConnection, shards: CaseShards): Promise<void> {
    await applyPeopleChanges(connection, this.askers(shards));
  }

  /** Each watching operator's questions, asked of its local parts on every shard. */
  private askers(shards: CaseShards): CaseDeadlineWatcher[] {
    const ask = (index: number, request: unknown): Promise<unknown[]> => shards.ask(index, request);
    return this.watchers.map((index) => ({
      overdueCases: async (dueBy?: number) =>
        ((await ask(index, { step: 'overdue', ...(dueBy !== undefined ? { dueBy } : {}) })) as Array<Array<{ case_id: string }>>).flat(),
      settleOverdue: async (statuses: ReadonlyMap<string, CaseStatusInfo>) => ((await ask(index, { step: 'settle', statuses })) as SettledCase[][]).flat(),
      casesChangedByPeople: async (statuses: ReadonlyMap<string, string>) => {
        await ask(index, { step: 'changed', statuses });
      },
      // Each case to the shard of its customer, where its customer's profile is.
      watchReopened: async (cases: readonly ReopenedCase[]) => {
        const byShard = Array.from({ length: shards.size }, (): ReopenedCase[] => []);
        for (const c of cases) byShard[shardOf(c.customer_id, shards.size)]!.push(c);
        const answers = await shards.askEach(
          index,
          byShard.map((part) => ({ step: 'reopened', cases: part })),
        );
        return (answers as NewDeadline[][]).flat();
      },
    }));
  }
}

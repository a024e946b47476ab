import type { DuckDBConnection } from '@duckdb/node-api';
import type { LocalOperator } from '../operators/parallel.js';
import type { CaseStatusInfo } from '../operators/service/case-status.js';
import type { SettledCase } from '../operators/service/operator.js';
import { applyPeopleChanges, prepareCaseCheckpoint, watchesCaseDeadlines, type CaseCheckpointWork, type CaseDeadlineWatcher } from '../sinks/cases/index.js';
import type { JobClock } from '../sinks/duckdb/job-clock.js';

/** Asks operator `index`'s local part on every shard; one answer per shard, in shard order. */
export type AskShards = (index: number, request: unknown) => Promise<unknown[]>;

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
  async prepare(connection: DuckDBConnection, ask: AskShards, clock: JobClock | undefined, now: number): Promise<CaseCheckpointWork | undefined> {
    if (!this.active) return undefined;
    return prepareCaseCheckpoint(connection, this.askers(ask), clock?.at ?? now, clock?.basis === 'wall' ? clock.at : undefined);
  }

  /** When the job starts: the operators hear of the cases people closed or reopened since the last checkpoint. */
  async restored(connection: DuckDBConnection, ask: AskShards): Promise<void> {
    await applyPeopleChanges(connection, this.askers(ask));
  }

  /** Each watching operator's questions, asked of its local parts on every shard. */
  private askers(ask: AskShards): CaseDeadlineWatcher[] {
    return this.watchers.map((index) => ({
      overdueCases: async (dueBy?: number) =>
        ((await ask(index, { step: 'overdue', ...(dueBy !== undefined ? { dueBy } : {}) })) as Array<Array<{ case_id: string }>>).flat(),
      settleOverdue: async (statuses: ReadonlyMap<string, CaseStatusInfo>) => ((await ask(index, { step: 'settle', statuses })) as SettledCase[][]).flat(),
      casesChangedByPeople: async (statuses: ReadonlyMap<string, string>) => {
        await ask(index, { step: 'changed', statuses });
      },
    }));
  }
}

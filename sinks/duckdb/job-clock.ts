/**
 * The job's clock: the one notion of "now" that case deadlines (escalation, `pulse cases list`)
 * and report schedules are judged by.
 *
 * - a live source (Kafka, stdin) runs on the wall clock: a deadline passes when it passes;
 * - a bounded file input runs on event time, the watermark: a replay of March escalates and
 *   reports as March did, whenever it is replayed.
 *
 * The runner stores the clock in `pulse_job_state` at every checkpoint (in the checkpoint's
 * transaction), so commands run later against the database (`pulse cases list`) judge by the
 * time the job had reached, not by today's date.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

/** `pulse_job_state` key of the stored clock. */
export const JOB_CLOCK_KEY = 'clock';

export type ClockBasis = 'event' | 'wall';

export interface JobClock {
  /** Epoch milliseconds. */
  at: number;
  basis: ClockBasis;
}

/**
 * The clock of a job at a checkpoint. `eventTime`: the job replays files (else it is live: Kafka,
 * stdin). `eventWatermark` is the last finite watermark (the end of a bounded input is +Infinity,
 * which is not time passing); undefined before the first event of a replay, when no time has
 * passed yet.
 */
export function jobClock(eventTime: boolean, eventWatermark: number | null, wallNow: number): JobClock | undefined {
  if (!eventTime) return { at: wallNow, basis: 'wall' };
  return eventWatermark !== null && Number.isFinite(eventWatermark) ? { at: eventWatermark, basis: 'event' } : undefined;
}

/** The clock the last checkpoint stored, if any (a database no job has written has none). */
export async function readJobClock(conn: DuckDBConnection): Promise<JobClock | undefined> {
  const exists = await conn.runAndReadAll(`SELECT 1 FROM duckdb_tables() WHERE table_name = 'pulse_job_state'`);
  if (exists.getRowsJS().length === 0) return undefined;
  const reader = await conn.runAndReadAll(`SELECT CAST(value AS VARCHAR) AS value FROM pulse_job_state WHERE key = $key`, { key: JOB_CLOCK_KEY });
  const row = reader.getRowObjectsJS()[0];
  if (!row) return undefined;
  const parsed = JSON.parse(String(row['value'])) as Partial<JobClock>;
  if (typeof parsed.at !== 'number' || (parsed.basis !== 'event' && parsed.basis !== 'wall')) return undefined;
  return { at: parsed.at, basis: parsed.basis };
}

/**
 * "Now" for a command run against the database at wall time `wallNow`: the stored event time of a
 * replayed input, else the wall clock (a live job's clock keeps running after its last checkpoint).
 */
export function commandNow(stored: JobClock | undefined, wallNow: number): number {
  return stored?.basis === 'event' ? stored.at : wallNow;
}

/**
 * The merge of the members' drift closes (job option `merge`), on the member that owns the drift's
 * merge partition: keeps every source partition's records of the periods not closed yet
 * (partition-closes.ts), and drives an ordinary drift global part (global.ts: warm-up, references,
 * decisions, `drift_metrics`, alerts, tiers, RFM, migrations) whose questions to the shards it
 * answers from those records instead: a close is the sum of every partition's summaries and the
 * union of their populations, a scoring tallies tier migrations against the tiers this merge kept
 * at the previous rescoring. The merged watermark (operators/merge-inputs.ts) closes a period once
 * every source partition's reader has passed its end, i.e. has published its close of it.
 */
import type { MergeInput } from '../merge-port.js';
import { MergeInputs, type PartialInput } from '../merge-inputs.js';
import { driveInline } from '../parallel.js';
import type { OperatorOutput } from '../operator.js';
import { KeyedState } from '../state.js';
import type { PopulationDriftGlobal } from './global.js';
import type { CloseAnswer, DriftPartial, DriftRequest } from './local.js';
import type { DriftCloseRecord, DriftPopulationRecord, DriftRecordKey } from './partition-closes.js';
import { emptyMigrationTally, tallyMigrations, tierOf, type CustomerValue, type MigrationTally, type ScoredTier } from './segments.js';

export class DriftMerger {
  /** Records of periods not closed here yet, by [source partition, record key]. */
  readonly latest = new KeyedState<unknown>();
  /** Tier and trailing spend of every customer at the previous rescoring (the migration baseline), by customer. */
  readonly scored = new KeyedState<ScoredTier>();
  /** Positions applied, source partitions' reports, the merged watermark (merge-inputs.ts). */
  readonly inputs: MergeInputs;
  /** The population and the forgotten customers of the period being closed, between its two questions. */
  private closing: { population: CustomerValue[]; expired: string[] } = { population: [], expired: [] };

  constructor(
    readonly global: PopulationDriftGlobal,
    idleTimeoutMs: number,
  ) {
    this.inputs = new MergeInputs(idleTimeoutMs);
  }

  /** Applies what arrived, in order; re-reads are skipped, a republished record replaces its earlier copy. */
  apply(inputs: readonly MergeInput[], sourcePartitions: readonly string[], now: number): void {
    this.inputs.apply(inputs, sourcePartitions, now, (input) => this.keep(input));
  }

  /** Closes the periods every source partition has passed; returns the rows and alerts to write. */
  drainOutputs(now: number): OperatorOutput[] {
    const watermark = this.inputs.watermark(now);
    if (Number.isFinite(watermark)) {
      driveInline(this.global.onWatermark(watermark), (request) => this.answer(request as DriftRequest));
      // Records of periods skipped as empty (no partition had an event then) are not needed either.
      const closedBefore = this.global.closedBefore();
      if (closedBefore !== null) for (const [key] of [...this.latest.entries()]) if (recordStart(key) < closedBefore) this.latest.delete(key);
    }
    return this.global.drainOutputs();
  }

  private keep(input: PartialInput): void {
    // A null is for the topic's compaction: the record it follows has been read before it.
    if (input.value === null) return;
    const key = JSON.parse(input.key) as DriftRecordKey;
    const closedBefore = this.global.closedBefore();
    if (closedBefore !== null && key[0] < closedBefore) return; // republished after this merge closed its period
    this.latest.set(JSON.stringify([input.partition, key]), input.value);
    if (key[1] !== 'close') return;
    const close = input.value as DriftCloseRecord;
    // Event-time progress only (a merged job reads Kafka, so no end of input asks how far a period's events reach).
    const starts = close.active ? [close.start] : [];
    const progress: DriftPartial = { minStart: close.start, maxTs: close.start, starts, lastTs: starts, firstTs: starts, periods: {} };
    this.global.merge([progress]);
  }

  private answer(request: DriftRequest): unknown[] {
    if (request.step === 'close') return this.close(request.start);
    if (request.step === 'score') return [this.score(request)];
    return [null];
  }

  /** Every partition's share of the period: its event-level and per-customer summaries, its population. */
  private close(start: number): CloseAnswer[] {
    const answers: CloseAnswer[] = [];
    const expired: string[] = [];
    for (const [stateKey, value] of [...this.latest.entries()]) {
      const [partition, key] = JSON.parse(stateKey) as [string, DriftRecordKey];
      if (key[0] !== start || key[1] !== 'close') continue;
      const close = value as DriftCloseRecord;
      const population: CustomerValue[] = [];
      for (let chunk = 0; chunk < close.chunks; chunk++) {
        const part = this.latest.get(JSON.stringify([partition, [start, 'population', chunk]]));
        if (part === undefined) {
          throw new Error(
            `population_drift merge: the close of ${new Date(start).toISOString()} by source partition ${partition} has ${close.chunks} population records, record ${chunk} never arrived (merge topic compacted before it was read?)`,
          );
        }
        population.push(...(part as DriftPopulationRecord).customers);
        expired.push(...(part as DriftPopulationRecord).expired);
      }
      answers.push({ summaries: close.events, population: [] }, { summaries: close.customers, population });
    }
    for (const [stateKey] of [...this.latest.entries()]) if (recordStart(stateKey) === start) this.latest.delete(stateKey);
    this.closing = { population: answers.flatMap((a) => a.population), expired };
    return answers;
  }

  /** What the shards do at a scoring, for the whole population: migrations against the previous rescoring's tiers. */
  private score(request: Extract<DriftRequest, { step: 'score' }>): MigrationTally | null {
    const { population, expired } = this.closing;
    this.closing = { population: [], expired: [] };
    const scoredNow = new Map<string, ScoredTier>();
    if (request.thresholds !== null)
      for (const v of population) scoredNow.set(v.customer_id, { tier: tierOf(v.monetary, request.thresholds), spend: v.monetary });
    let tally: MigrationTally | null = null;
    if (request.rescoring === 'rescore') tally = tallyMigrations(emptyMigrationTally(), new Map(this.scored.entries()), scoredNow);
    if (request.rescoring !== 'none') {
      for (const [id] of [...this.scored.entries()]) if (!scoredNow.has(id)) this.scored.delete(id);
      for (const [id, s] of scoredNow) {
        const before = this.scored.get(id);
        if (before?.tier !== s.tier || before.spend !== s.spend) this.scored.set(id, s);
      }
    }
    // As the shards forget them after the scoring.
    for (const id of expired) this.scored.delete(id);
    return tally;
  }
}

function recordStart(stateKey: string): number {
  return (JSON.parse(stateKey) as [string, DriftRecordKey])[1][0];
}

/**
 * Population drift: per period (default weeks from Monday 00:00 UTC), summarise the customer
 * population (per-customer spend, transactions and usage, channel and contact-reason mix, survey
 * answers, profile attributes, value tier), compare each feature with the reference period by the
 * SPEC section 7 rules (operators/drift-statistics), write `drift_metrics` rows, and on dataset drift raise
 * `SegmentationRescoreNeeded` and rescore: value tiers and RFM per customer (`customer_segments`)
 * and the tier migration since the previous rescoring (`segment_migrations`).
 *
 * Per-customer records live on the shards (local.ts); the periods, references, progress and the
 * decisions once on the main thread (global.ts); see operators/parallel.ts. Event contributions are
 * kept per period and folded in only when their period closes, so events that arrive ahead of the
 * watermark never leak into an earlier period.
 */
import { type ProfileStore, profileStoreOf } from '../customer-profiles.js';
import { ComposedOperator, type MergeablePlan, type ShardParts } from '../parallel.js';
import { PopulationDriftGlobal, type DriftScore } from './global.js';
import { PopulationDriftLocal } from './local.js';
import { MergedDriftGlobal } from './merged-global.js';
import type { PopulationDriftOptions, Tier } from './options.js';

export { TIER_NAMES } from './options.js';
export { RESCORE_RULE, PopulationDriftGlobal, type DriftScore } from './global.js';
export type { CustomerRecord } from './local.js';

export function populationDriftPlan(options: PopulationDriftOptions): MergeablePlan & {
  createLocal(parts: ShardParts): PopulationDriftLocal;
  createGlobal(): PopulationDriftGlobal;
  createMergedLocal(parts: ShardParts): PopulationDriftLocal;
} {
  // A profile feature reads each customer's attributes as of a period's end.
  const readsProfiles = options.features.some((f) => f.source === 'profile');
  const profiles = (parts: ShardParts): ProfileStore | undefined => (readsProfiles ? profileStoreOf(parts, options.name) : undefined);
  return {
    name: options.name,
    ...(readsProfiles ? { readsProfiles: 'history' as const } : {}),
    createLocal: (parts) => new PopulationDriftLocal(options, profiles(parts)),
    createGlobal: () => new PopulationDriftGlobal(options),
    // Merged across members (job option `merge`): closes are published per source partition of the customers.
    createMergedLocal: (parts) => new PopulationDriftLocal(options, profiles(parts), true),
    createMergedGlobal: (port, idleTimeoutMs) => new MergedDriftGlobal(options, port, idleTimeoutMs),
  };
}

/** Both parts in one thread (tests, benches). */
export class PopulationDriftOperator extends ComposedOperator<PopulationDriftLocal, PopulationDriftGlobal> {
  constructor(options: PopulationDriftOptions) {
    super(populationDriftPlan(options));
  }

  latestScores(): DriftScore[] {
    return this.global!.latestScores();
  }

  segmentSizes(): Record<Tier, number> {
    return this.global!.segmentSizes();
  }
}

/**
 * CustomerShiftOperator: per-customer behaviour-shift detection and instant sales triggers.
 *
 * Transaction and usage events are aggregated into per-customer, per-window measures (and the
 * instant rules run on the event itself); owner, tier and region come from the shard's profile store. When
 * the watermark passes the end of a window, every known customer is evaluated for it, with 0 for
 * measures it had no event for, and the `sales` alerts are emitted with `fired_at` = window end.
 * The per-customer work runs on the shards (local.ts), the population's rate factor and the
 * false-discovery control once on the main thread (global.ts); see operators/parallel.ts.
 * All state lives in KeyedState values of plain JSON, so a restore continues exactly.
 */
import { profileStoreOf } from '../customer-profiles.js';
import { ComposedOperator, type OperatorPlan, type ShardParts } from '../parallel.js';
import type { ShiftSettings } from './config.js';
import { CustomerShiftGlobal } from './global.js';
import { CustomerShiftLocal } from './local.js';

export type { CustomerState } from './local.js';
export type { ClockState } from './global.js';
export { SHIFT_STATES as STATE_NAMES } from './local.js';

export function customerShiftPlan(
  name: string,
  cfg: ShiftSettings,
): OperatorPlan & {
  createLocal(parts: ShardParts): CustomerShiftLocal;
  createGlobal(): CustomerShiftGlobal;
} {
  return {
    name,
    readsProfiles: 'latest',
    createLocal: (parts) => new CustomerShiftLocal(name, cfg, profileStoreOf(parts, name)),
    createGlobal: () => new CustomerShiftGlobal(name, cfg),
  };
}

/** Both parts in one thread (tests, benches). */
export class CustomerShiftOperator extends ComposedOperator<CustomerShiftLocal, CustomerShiftGlobal> {
  constructor(name: string, cfg: ShiftSettings) {
    super(customerShiftPlan(name, cfg));
  }
}

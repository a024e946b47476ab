/**
 * The registry entry of the operator (structurally a pipelines/registry.ts OperatorFactory; the
 * operators folder does not import from pipelines). `build` checks the block against the same
 * schema again, so that the operator can be built on its own (tests, workers).
 */
import { profileStoreOf } from '../customer-profiles.js';
import type { OperatorPlan } from '../parallel.js';
import { resolveServiceTriggers } from './config.js';
import { ServiceTriggersOperator } from './operator.js';
import { SERVICE_TRIGGERS_SCHEMA } from './schema.js';

export const SERVICE_TRIGGERS_OPERATOR = {
  type: 'service_triggers',
  description: 'service alerts from survey answers and contact patterns, and cases with deadlines by tier (table cases)',
  schema: SERVICE_TRIGGERS_SCHEMA,
  build(name: string, settings: Record<string, unknown>, context: { allowedLatenessMs: number }): OperatorPlan {
    const resolved = resolveServiceTriggers(settings, context.allowedLatenessMs);
    // Every piece of its state belongs to one customer: it runs whole on each shard.
    return { name, readsProfiles: 'latest', createLocal: (parts) => new ServiceTriggersOperator(name, resolved, profileStoreOf(parts, name)) };
  },
};

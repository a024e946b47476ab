/**
 * The registry entry of the operator (structurally a pipelines/registry.ts OperatorFactory; the
 * operators folder does not import from pipelines). The registry's own schema check is kept loose
 * on purpose: `build` validates against SERVICE_TRIGGERS_SCHEMA itself, with messages that name
 * the rule and the key, which a generic check cannot.
 */
import type { OperatorPlan } from '../parallel.js';
import { resolveServiceTriggers } from './config.js';
import { ServiceTriggersOperator } from './operator.js';

export const SERVICE_TRIGGERS_OPERATOR = {
  type: 'service_triggers',
  description: 'service alerts from survey answers and contact patterns, and cases with deadlines by tier (table cases)',
  schema: { type: 'object' } as Record<string, unknown>,
  build(name: string, settings: Record<string, unknown>, context: { allowedLatenessMs: number }): OperatorPlan {
    const resolved = resolveServiceTriggers(settings, context.allowedLatenessMs);
    // Every piece of its state belongs to one customer: it runs whole on each shard.
    return { name, createLocal: () => new ServiceTriggersOperator(name, resolved) };
  },
};

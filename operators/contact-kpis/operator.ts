/**
 * The contact-center KPI operator (SPEC section 4): tumbling UTC windows per size and per
 * queue x channel, assigned by queued_at, with an FCR look-ahead and optional threshold rules.
 * Its work is split between the shards (local.ts: contacts and their customers' repeats) and the
 * main thread (global.ts: windows, rules, rows); see operators/parallel.ts.
 */
import { ComposedOperator, type MergeablePlan } from '../parallel.js';
import type { ThresholdRule } from '../rules/types.js';
import { ContactKpiGlobal } from './global.js';
import type { ContactKpiRow } from './kpis.js';
import { ContactKpiLocal } from './local.js';
import { MergedKpiGlobal } from './merged-global.js';
import { resolveContactKpiOptions, type ContactKpiOptions } from './options.js';

export { CONTACT_KPI_STATES } from './keys.js';

export interface ContactKpiOperatorOptions extends Partial<ContactKpiOptions> {
  /** Operator name in the job (namespaces persisted state); default `contact_kpis`. */
  name?: string;
  /** Validated rules (see operators/rules validateRules); evaluated as windows close. */
  rules?: readonly ThresholdRule[];
}

/** The KPI operator's parts for a runner. */
export function contactKpiPlan(options: ContactKpiOperatorOptions = {}): MergeablePlan & {
  createLocal(): ContactKpiLocal;
  createGlobal(): ContactKpiGlobal;
  options: ContactKpiOptions;
} {
  const { name = 'contact_kpis', rules = [], ...kpiOptions } = options;
  const resolved = resolveContactKpiOptions(kpiOptions);
  return {
    name,
    options: resolved,
    createLocal: () => new ContactKpiLocal(name, resolved),
    createGlobal: () => new ContactKpiGlobal(name, resolved, rules),
    createMergedGlobal: (port, idleTimeoutMs) => new MergedKpiGlobal(name, resolved, rules, port, idleTimeoutMs),
  };
}

/** Both parts in one thread (tests, benches). */
export class ContactKpiOperator extends ComposedOperator<ContactKpiLocal, ContactKpiGlobal> {
  readonly options: ContactKpiOptions;

  constructor(options: ContactKpiOperatorOptions = {}) {
    const plan = contactKpiPlan(options);
    super(plan);
    this.options = plan.options;
  }

  /** The last watermark seen (persisted), or -Infinity before any. */
  get watermark(): number {
    return this.global!.watermark;
  }

  get lateDropped(): number {
    return this.local.lateDropped;
  }

  latestClosed(windowSizeMs: number): ContactKpiRow[] {
    return this.global!.latestClosed(windowSizeMs);
  }
}

import type { InhibitRuleConfig } from './config.js';
import { type Matcher, matchesAll, parseMatchers } from './matchers.js';

/** A resolved inhibition rule. */
export interface InhibitRule {
  readonly source: readonly Matcher[];
  readonly target: readonly Matcher[];
  readonly equal: readonly string[];
}

export function buildInhibitRules(configs: readonly InhibitRuleConfig[], path = 'alerting.inhibit_rules'): InhibitRule[] {
  return configs.map((c, i) => ({
    source: parseMatchers(c.source_matchers, `${path}[${i}].source_matchers`),
    target: parseMatchers(c.target_matchers, `${path}[${i}].target_matchers`),
    equal: c.equal ?? [],
  }));
}

/** A firing alert that may inhibit others. */
export interface FiringAlert {
  readonly alertId: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * True when `target` is muted by a firing source alert under some rule (Alertmanager semantics:
 * the `equal` labels must have the same value on both, a label missing on both counts as equal,
 * and an alert never inhibits itself).
 */
export function isInhibited(target: FiringAlert, firing: Iterable<FiringAlert>, rules: readonly InhibitRule[]): boolean {
  const applicable = rules.filter((r) => matchesAll(r.target, target.labels));
  if (applicable.length === 0) return false;
  for (const source of firing) {
    if (source.alertId === target.alertId) continue;
    for (const rule of applicable) {
      if (!matchesAll(rule.source, source.labels)) continue;
      if (rule.equal.every((name) => (source.labels[name] ?? '') === (target.labels[name] ?? ''))) return true;
    }
  }
  return false;
}

import { compileJsonSchema, configAjv, type ConfigProblem } from '../config/schema.js';
import { DURATION_PATTERN } from '../duration.js';
import { RoutingConfigError } from './errors.js';

/**
 * The routing part of the job's `alerting:` section, as written in YAML (Alertmanager's names).
 * Receivers and delivery settings live with the sinks (sinks/alerts/config.ts).
 */
export interface RouteConfig {
  /** Receiver name; required on the root route, inherited by children. */
  receiver?: string;
  /** Label matchers, all must match: `kind="sales"`, `severity=~"warning|critical"`, `queue!="test"`. */
  matchers?: string[];
  /** Keep looking at sibling routes after this one matched (default false). */
  continue?: boolean;
  /** Labels that split alerts into notification groups; `['...']` groups by all labels. Inherited. */
  group_by?: string[];
  /** Wait before the first notification of a new group (default 30s). Inherited. */
  group_wait?: string;
  /** Wait before notifying about changes of a group already notified (default 5m). Inherited. */
  group_interval?: string;
  /** Wait before re-sending an unchanged group that still fires (default 4h). Inherited. */
  repeat_interval?: string;
  routes?: RouteConfig[];
}

export interface InhibitRuleConfig {
  /** Matchers of the alert that mutes others (e.g. `alertname="SegmentationRescoreNeeded"`). */
  source_matchers: string[];
  /** Matchers of the alerts that get muted. */
  target_matchers: string[];
  /** Labels that must have equal values on source and target (missing on both counts as equal). */
  equal?: string[];
}

export interface SilenceConfig {
  matchers: string[];
  /** RFC 3339; default: active from the start. */
  starts_at?: string;
  /** RFC 3339; the silence stops muting at this instant. */
  ends_at: string;
  created_by: string;
  comment: string;
}

export interface RoutingConfig {
  route: RouteConfig;
  inhibit_rules?: InhibitRuleConfig[];
  silences?: SilenceConfig[];
}

const matcherList = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const duration = { type: 'string', pattern: DURATION_PATTERN } as const;

/** JSON Schema of a route (recursive through `routes`). */
export const ROUTE_SCHEMA = {
  $id: 'pulse://alerting/route',
  type: 'object',
  additionalProperties: false,
  properties: {
    receiver: { type: 'string', minLength: 1 },
    matchers: matcherList,
    continue: { type: 'boolean' },
    group_by: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true },
    group_wait: duration,
    group_interval: duration,
    repeat_interval: duration,
    routes: { type: 'array', items: { $ref: 'pulse://alerting/route' } },
  },
} as const;

export const INHIBIT_RULE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['source_matchers', 'target_matchers'],
  properties: {
    source_matchers: { ...matcherList, minItems: 1 },
    target_matchers: { ...matcherList, minItems: 1 },
    equal: { type: 'array', items: { type: 'string', minLength: 1 } },
  },
} as const;

const RFC3339 = {
  type: 'string',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$',
  description: 'an RFC 3339 time with offset, e.g. 2026-01-31T00:00:00Z',
} as const;

export const SILENCE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['matchers', 'ends_at', 'created_by', 'comment'],
  properties: {
    matchers: { ...matcherList, minItems: 1 },
    starts_at: RFC3339,
    ends_at: RFC3339,
    created_by: { type: 'string', minLength: 1 },
    comment: { type: 'string', minLength: 1 },
  },
} as const;

/** Schema of the routing keys; sinks/alerts/config.ts embeds these properties in `alerting:`. */
export const ROUTING_SCHEMA = {
  type: 'object',
  required: ['route'],
  properties: {
    route: { $ref: 'pulse://alerting/route' },
    inhibit_rules: { type: 'array', items: INHIBIT_RULE_SCHEMA },
    silences: { type: 'array', items: SILENCE_SCHEMA },
  },
} as const;

// The route schema is recursive (`routes` refers to it by $id): registered once with the shared instance.
configAjv.addSchema(ROUTE_SCHEMA);

/** Builds the RoutingConfigError of a schema problem. */
export const routingError = ({ path, detail }: ConfigProblem): RoutingConfigError => new RoutingConfigError('ROUTING_CONFIG_INVALID', path, detail);

const checkRouting = compileJsonSchema<RoutingConfig>(ROUTING_SCHEMA, routingError);

/** Validates the shape of the routing keys; throws RoutingConfigError naming the first problem. */
export function checkRoutingShape(config: unknown, prefix = 'alerting'): asserts config is RoutingConfig {
  checkRouting(config, prefix);
}

import { compileConfig, configAjv, Duration, Type, type ConfigProblem, type Static } from '../../../operators/config/schema.js';
import { RoutingConfigError } from './errors.js';

/** Label matchers, all must match: `kind="sales"`, `severity=~"warning|critical"`, `queue!="test"`. */
const matcherList = (description: string, minItems = 0) => Type.Array(Type.String({ minLength: 1 }), { minItems, description });

const ROUTE_ID = 'pulse://alerting/route';

/**
 * A route of the job's `alerting:` section, in Alertmanager's names (recursive through `routes`).
 * Receivers and delivery settings live with the sinks (sinks/alerts/config.ts).
 */
export const ROUTE_SCHEMA = Type.Recursive(
  (route) =>
    Type.Object(
      {
        receiver: Type.Optional(Type.String({ minLength: 1, description: 'receiver name; required on the root route, inherited by children' })),
        matchers: Type.Optional(matcherList('label matchers, all must match: kind="sales", severity=~"warning|critical", queue!="test"')),
        continue: Type.Optional(Type.Boolean({ description: 'keep looking at sibling routes after this one matched (default false)' })),
        group_by: Type.Optional(
          Type.Array(Type.String({ minLength: 1 }), {
            uniqueItems: true,
            description: "labels that split alerts into notification groups; ['...'] groups by all labels. Inherited",
          }),
        ),
        group_wait: Type.Optional(Duration({ description: 'wait before the first notification of a new group (default 30s). Inherited' })),
        group_interval: Type.Optional(Duration({ description: 'wait before notifying about changes of a group already notified (default 5m). Inherited' })),
        repeat_interval: Type.Optional(Duration({ description: 'wait before re-sending an unchanged group that still fires (default 4h). Inherited' })),
        routes: Type.Optional(Type.Array(route, { description: 'child routes, each a mapping with these same keys' })),
      },
      { additionalProperties: false },
    ),
  { $id: ROUTE_ID },
);
export type RouteConfig = Static<typeof ROUTE_SCHEMA>;

export const INHIBIT_RULE_SCHEMA = Type.Object(
  {
    source_matchers: matcherList('matchers of the alert that mutes others (e.g. alertname="SegmentationRescoreNeeded")', 1),
    target_matchers: matcherList('matchers of the alerts that get muted', 1),
    equal: Type.Optional(matcherList('labels that must have equal values on source and target (missing on both counts as equal)')),
  },
  { additionalProperties: false },
);
export type InhibitRuleConfig = Static<typeof INHIBIT_RULE_SCHEMA>;

const RFC3339 = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$',
  description: 'an RFC 3339 time with offset, e.g. 2026-01-31T00:00:00Z',
});

export const SILENCE_SCHEMA = Type.Object(
  {
    matchers: matcherList('the alerts it mutes', 1),
    /** Default: active from the start. */
    starts_at: Type.Optional(RFC3339),
    /** The silence stops muting at this instant. */
    ends_at: RFC3339,
    created_by: Type.String({ minLength: 1 }),
    comment: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);
export type SilenceConfig = Static<typeof SILENCE_SCHEMA>;

/** The routing keys; sinks/alerts/config.ts embeds these properties in `alerting:`. */
export const ROUTING_PROPERTIES = {
  route: Type.Ref(ROUTE_SCHEMA),
  inhibit_rules: Type.Optional(Type.Array(INHIBIT_RULE_SCHEMA)),
  silences: Type.Optional(Type.Array(SILENCE_SCHEMA)),
};
const ROUTING_SCHEMA = Type.Object(ROUTING_PROPERTIES);
export type RoutingConfig = Static<typeof ROUTING_SCHEMA>;

// The route schema is recursive (`routes` refers to it by $id): registered once with the shared instance.
configAjv.addSchema(ROUTE_SCHEMA);

/** Builds the RoutingConfigError of a schema problem. */
export const routingError = ({ path, detail }: ConfigProblem): RoutingConfigError => new RoutingConfigError('ROUTING_CONFIG_INVALID', path, detail);

const checkRouting = compileConfig(ROUTING_SCHEMA, routingError);

/** Validates the shape of the routing keys; throws RoutingConfigError naming the first problem. */
export function checkRoutingShape(config: unknown, prefix = 'alerting'): asserts config is RoutingConfig {
  checkRouting(config, prefix);
}

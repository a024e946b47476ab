import type { RouteConfig } from './config.js';
import { parseDuration } from '../../../operators/duration.js';
import { RoutingConfigError } from './errors.js';
import { type Matcher, matchesAll, parseMatchers } from './matchers.js';

/** Timings of a notification group, in milliseconds. */
export interface GroupTiming {
  groupWait: number;
  groupInterval: number;
  repeatInterval: number;
}

/** Alertmanager's defaults. */
export const DEFAULT_TIMING: GroupTiming = { groupWait: 30_000, groupInterval: 300_000, repeatInterval: 14_400_000 };

/** A route with inherited values resolved: the runtime form of RouteConfig. */
export interface Route {
  /** YAML path, e.g. `alerting.route.routes[0]`; names the route in errors and logs. */
  readonly path: string;
  /** Alertmanager-style route key: the matchers of the route and its ancestors, e.g. `{}/{kind="sales"}`. */
  readonly key: string;
  readonly receiver: string;
  readonly matchers: readonly Matcher[];
  readonly continue: boolean;
  /** Group-by labels; null means every label (`['...']`). */
  readonly groupBy: readonly string[] | null;
  readonly timing: GroupTiming;
  readonly routes: readonly Route[];
}

/** Where an alert goes: one entry per matching route. */
export interface RouteMatch {
  readonly route: Route;
  readonly receiver: string;
  /** Identifies the notification group: route key plus the group labels. */
  readonly groupKey: string;
  readonly groupLabels: Record<string, string>;
}

function timing(text: string | undefined, inherited: number, path: string): number {
  if (text === undefined) return inherited;
  const ms = parseDuration(text);
  if (ms === null) {
    throw new RoutingConfigError('ROUTING_CONFIG_INVALID', path, `'${text}' is not a duration like 30s, 5m or 4h`);
  }
  return ms;
}

/**
 * Resolves a route tree: parses matchers and durations and applies inheritance.
 * `receivers` are the configured receiver names; an unknown name is a configuration error.
 */
export function buildRoute(config: RouteConfig, receivers: ReadonlySet<string>, path = 'alerting.route'): Route {
  if (config.receiver === undefined) {
    throw new RoutingConfigError('ROUTING_CONFIG_INVALID', path, `missing required key 'receiver' on the root route`);
  }
  return build(config, undefined, receivers, path);
}

function build(config: RouteConfig, parent: Route | undefined, receivers: ReadonlySet<string>, path: string): Route {
  const receiver = config.receiver ?? parent?.receiver;
  if (receiver === undefined || !receivers.has(receiver)) {
    throw new RoutingConfigError(
      'ROUTING_CONFIG_INVALID',
      `${path}.receiver`,
      `unknown receiver '${String(receiver)}'; defined receivers: ${[...receivers].join(', ') || '(none)'}`,
    );
  }
  const matchers = parseMatchers(config.matchers ?? [], `${path}.matchers`);
  const inherited = parent?.timing ?? DEFAULT_TIMING;
  const groupByConfig = config.group_by;
  let groupBy: readonly string[] | null;
  if (groupByConfig === undefined) groupBy = parent ? parent.groupBy : [];
  else if (groupByConfig.includes('...')) {
    if (groupByConfig.length > 1) {
      throw new RoutingConfigError('ROUTING_CONFIG_INVALID', `${path}.group_by`, `'...' must be the only entry`);
    }
    groupBy = null;
  } else groupBy = [...groupByConfig].sort();
  const ownKey = `{${matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(',')}}`;
  const route: {
    -readonly [K in keyof Route]: Route[K];
  } = {
    path,
    key: parent ? `${parent.key}/${ownKey}` : ownKey,
    receiver,
    matchers,
    continue: config.continue ?? false,
    groupBy,
    timing: {
      groupWait: timing(config.group_wait, inherited.groupWait, `${path}.group_wait`),
      groupInterval: timing(config.group_interval, inherited.groupInterval, `${path}.group_interval`),
      repeatInterval: timing(config.repeat_interval, inherited.repeatInterval, `${path}.repeat_interval`),
    },
    routes: [],
  };
  route.routes = (config.routes ?? []).map((child, i) => build(child, route, receivers, `${path}.routes[${i}]`));
  return route;
}

function matchRoute(route: Route, labels: Readonly<Record<string, string>>): Route[] {
  if (!matchesAll(route.matchers, labels)) return [];
  const out: Route[] = [];
  for (const child of route.routes) {
    const found = matchRoute(child, labels);
    if (found.length === 0) continue;
    out.push(...found);
    if (!child.continue) break;
  }
  return out.length > 0 ? out : [route];
}

/** Group labels of an alert under a route: the group-by labels it has (all labels for `...`). */
export function groupLabelsOf(route: Route, labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  const names = route.groupBy ?? Object.keys(labels).sort();
  for (const name of names) {
    const value = labels[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * Alertmanager's routing: depth-first, first matching child wins unless it has `continue`;
 * a route none of whose children match takes the alert itself. The root matches everything.
 */
export function routeAlert(root: Route, labels: Readonly<Record<string, string>>): RouteMatch[] {
  const rootMatches = matchRoute({ ...root, matchers: [] }, labels);
  return rootMatches.map((route) => {
    const groupLabels = groupLabelsOf(route, labels);
    const labelKey = Object.entries(groupLabels)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',');
    return { route, receiver: route.receiver, groupKey: `${route.key}:{${labelKey}}`, groupLabels };
  });
}

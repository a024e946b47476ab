import type { Alert } from '../../../operators/alert.js';
import { checkRoutingShape, type RoutingConfig } from './config.js';
import { buildInhibitRules, type FiringAlert, type InhibitRule, isInhibited } from './inhibit.js';
import { deliveryLabels } from './labels.js';
import { buildRoute, type Route, type RouteMatch, routeAlert } from './route.js';
import { activeSilence, buildSilences, type Silence } from './silence.js';

/** Why an alert is not notified. */
export type MuteReason = 'silenced' | 'inhibited';

/**
 * The routing runtime: a resolved route tree, inhibition rules and silences. Built once from
 * config; `route` is pure and cheap so the runner can call it inside its checkpoint transaction.
 */
export class Router {
  constructor(
    readonly root: Route,
    readonly inhibitRules: readonly InhibitRule[],
    readonly silences: readonly Silence[],
  ) {}

  /** Validates and resolves the routing keys of `alerting:`; throws RoutingConfigError. */
  static fromConfig(config: unknown, receivers: ReadonlySet<string>, prefix = 'alerting'): Router {
    checkRoutingShape(config, prefix);
    const c: RoutingConfig = config;
    return new Router(
      buildRoute(c.route, receivers, `${prefix}.route`),
      buildInhibitRules(c.inhibit_rules ?? [], `${prefix}.inhibit_rules`),
      buildSilences(c.silences ?? [], `${prefix}.silences`),
    );
  }

  /** Receivers and groups the alert goes to. */
  route(alert: Alert): RouteMatch[] {
    return routeAlert(this.root, deliveryLabels(alert));
  }

  /** Routes by labels directly (labels as returned by deliveryLabels). */
  routeLabels(labels: Readonly<Record<string, string>>): RouteMatch[] {
    return routeAlert(this.root, labels);
  }

  /**
   * Whether a firing alert is muted at `now` (wall clock): by a silence, or by another firing
   * alert under an inhibition rule. `extraSilences` are silences added at run time.
   */
  muted(target: FiringAlert, firing: Iterable<FiringAlert>, now: number, extraSilences: readonly Silence[] = []): MuteReason | null {
    if (activeSilence(target.labels, this.silences, now) || activeSilence(target.labels, extraSilences, now)) {
      return 'silenced';
    }
    if (isInhibited(target, firing, this.inhibitRules)) return 'inhibited';
    return null;
  }
}

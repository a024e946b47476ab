import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Router } from '../../../../sinks/alerts/routing/router.js';
import { RoutingConfigError } from '../../../../sinks/alerts/routing/errors.js';
import { isDue, nextFlush } from '../../../../sinks/alerts/routing/scheduler.js';
import type { RouteMatch } from '../../../../sinks/alerts/routing/route.js';

const RECEIVERS = new Set(['default', 'sales-team', 'service-am', 'audit', 'critical-pager']);

const CONFIG = parse(`
route:
  receiver: default
  group_by: [kind]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 2h
  routes:
    - matchers: ['kind="sales"']
      receiver: sales-team
      group_by: [kind, account_owner]
      group_wait: 5s
    - matchers: ['kind="service"', 'queue!="test"']
      receiver: service-am
      continue: true
      routes:
        - matchers: ['severity="critical"']
          receiver: critical-pager
          group_by: ['...']
    - matchers: ['severity=~"warning|critical"']
      receiver: audit
inhibit_rules:
  - source_matchers: ['alertname="SegmentationRescoreNeeded"']
    target_matchers: ['alertname="CustomerDrift"']
    equal: [segment]
silences:
  - matchers: ['queue="maintenance"']
    starts_at: 2026-01-01T00:00:00Z
    ends_at: 2026-01-02T00:00:00Z
    created_by: ops
    comment: planned maintenance
`);

const router = Router.fromConfig(CONFIG, RECEIVERS);
const receiversOf = (ms: RouteMatch[]): string[] => ms.map((m) => m.receiver);

describe('route tree', () => {
  it('first matching child wins, root catches the rest', () => {
    expect(receiversOf(router.routeLabels({ kind: 'sales', severity: 'critical' }))).toEqual(['sales-team']);
    expect(receiversOf(router.routeLabels({ kind: 'analytic', severity: 'info' }))).toEqual(['default']);
    expect(receiversOf(router.routeLabels({ kind: 'analytic', severity: 'warning' }))).toEqual(['audit']);
  });

  it('continue lets later siblings match too; nested child overrides parent', () => {
    expect(receiversOf(router.routeLabels({ kind: 'service', queue: 'billing', severity: 'warning' }))).toEqual(['service-am', 'audit']);
    expect(receiversOf(router.routeLabels({ kind: 'service', queue: 'billing', severity: 'critical' }))).toEqual(['critical-pager', 'audit']);
    // negated matcher excludes the test queue from the service route
    expect(receiversOf(router.routeLabels({ kind: 'service', queue: 'test', severity: 'info' }))).toEqual(['default']);
  });

  it('children inherit timings and group_by unless they override them', () => {
    const [sales] = router.routeLabels({ kind: 'sales', account_owner: 'a@x' });
    expect(sales?.route.timing).toEqual({ groupWait: 5_000, groupInterval: 60_000, repeatInterval: 7_200_000 });
    expect(sales?.groupLabels).toEqual({ kind: 'sales', account_owner: 'a@x' });
    const [svc] = router.routeLabels({ kind: 'service', queue: 'q1', severity: 'info' });
    expect(svc?.route.timing.groupWait).toBe(10_000);
    expect(svc?.groupLabels).toEqual({ kind: 'service' });
  });

  it('group keys split by group labels, and "..." groups by every label', () => {
    const a = router.routeLabels({ kind: 'sales', account_owner: 'a@x', customer: '1' })[0];
    const b = router.routeLabels({ kind: 'sales', account_owner: 'a@x', customer: '2' })[0];
    const c = router.routeLabels({ kind: 'sales', account_owner: 'b@x', customer: '1' })[0];
    expect(a?.groupKey).toBe(b?.groupKey);
    expect(a?.groupKey).not.toBe(c?.groupKey);
    expect(a?.groupKey).toBe('{}/{kind="sales"}:{account_owner="a@x",kind="sales"}');
    const p1 = router.routeLabels({ kind: 'service', queue: 'q', severity: 'critical', x: '1' })[0];
    const p2 = router.routeLabels({ kind: 'service', queue: 'q', severity: 'critical', x: '2' })[0];
    expect(p1?.groupKey).not.toBe(p2?.groupKey);
    expect(p1?.groupLabels).toEqual({ kind: 'service', queue: 'q', severity: 'critical', x: '1' });
  });
});

describe('inhibition and silences', () => {
  const source = { alertId: 's', labels: { alertname: 'SegmentationRescoreNeeded', segment: 'gold' } };
  const target = { alertId: 't', labels: { alertname: 'CustomerDrift', segment: 'gold' } };
  const otherSegment = { alertId: 'u', labels: { alertname: 'CustomerDrift', segment: 'silver' } };
  const now = Date.parse('2026-03-01T00:00:00Z');

  it('a firing source mutes targets with equal labels only', () => {
    expect(router.muted(target, [source], now)).toBe('inhibited');
    expect(router.muted(otherSegment, [source], now)).toBeNull();
    expect(router.muted(target, [], now)).toBeNull();
    // an alert matching the source never inhibits itself
    expect(router.muted(source, [source], now)).toBeNull();
  });

  it('silences mute between starts_at (inclusive) and ends_at (exclusive)', () => {
    const a = { alertId: 'm', labels: { queue: 'maintenance' } };
    expect(router.muted(a, [], Date.parse('2025-12-31T23:59:59Z'))).toBeNull();
    expect(router.muted(a, [], Date.parse('2026-01-01T00:00:00Z'))).toBe('silenced');
    expect(router.muted(a, [], Date.parse('2026-01-01T23:59:59.999Z'))).toBe('silenced');
    expect(router.muted(a, [], Date.parse('2026-01-02T00:00:00Z'))).toBeNull();
  });
});

describe('notification scheduler', () => {
  const timing = { groupWait: 30_000, groupInterval: 300_000, repeatInterval: 3_600_000 };
  it('new group waits group_wait from its first alert', () => {
    const facts = { firstPendingAt: 1_000, lastNotifiedAt: null, hasFiring: false };
    expect(nextFlush(facts, timing)).toEqual({ at: 31_000, reason: 'group_wait' });
    expect(isDue(facts, timing, 30_999)).toBeNull();
    expect(isDue(facts, timing, 31_000)?.reason).toBe('group_wait');
  });
  it('changes to a notified group wait group_interval after the last notification', () => {
    const facts = { firstPendingAt: 100_000, lastNotifiedAt: 40_000, hasFiring: true };
    expect(nextFlush(facts, timing)).toEqual({ at: 340_000, reason: 'group_interval' });
  });
  it('unchanged firing groups repeat after repeat_interval; resolved groups stay quiet', () => {
    expect(nextFlush({ firstPendingAt: null, lastNotifiedAt: 40_000, hasFiring: true }, timing)).toEqual({
      at: 3_640_000,
      reason: 'repeat_interval',
    });
    expect(nextFlush({ firstPendingAt: null, lastNotifiedAt: 40_000, hasFiring: false }, timing)).toBeNull();
  });
});

describe('config validation', () => {
  const bad = (config: unknown): string => {
    try {
      Router.fromConfig(config, RECEIVERS);
    } catch (e) {
      expect(e).toBeInstanceOf(RoutingConfigError);
      return (e as Error).message;
    }
    throw new Error('expected a RoutingConfigError');
  };
  it('names the path, the key and what is allowed', () => {
    expect(bad({ route: { receiver: 'default', routes: [{}, { receivr: 'x' }] } })).toMatch(
      /^alerting\.route\.routes\[1\]\.receivr: unknown key \(did you mean receiver\?\); allowed keys are receiver, matchers, continue/,
    );
    expect(bad({ route: { receiver: 'default', group_wait: '30 seconds' } })).toBe(
      'alerting.route.group_wait: "30 seconds" is not a duration like 30s, 15m, 1h, 1h30m, 1d or 1w',
    );
    expect(bad({ route: { receiver: 'nobody' } })).toMatch(/^alerting\.route\.receiver: unknown receiver 'nobody'; defined receivers: default/);
    expect(bad({ route: { receiver: 'default', routes: [{ matchers: ['kind~"x"'] }] } })).toMatch(
      /^alerting\.route\.routes\[0\]\.matchers\[0\]: invalid matcher/,
    );
    expect(bad({ route: { matchers: [] } })).toMatch(/receiver/);
    expect(bad({ route: { receiver: 'default' }, silences: [{ matchers: ['a="b"'], ends_at: 'tomorrow', created_by: 'x', comment: 'y' }] })).toBe(
      'alerting.silences[0].ends_at: "tomorrow" is not valid; expected an RFC 3339 time with offset, e.g. 2026-01-31T00:00:00Z',
    );
    expect(bad({ route: { receiver: 'default' }, inhibit_rules: [{ source_matchers: ['a="b"'] }] })).toBe(
      "alerting.inhibit_rules[0]: the key 'target_matchers' is required",
    );
  });
});

import { describe, expect, it } from 'vitest';
import { matches, matchesAll, parseMatcher, parseMatchers } from '../../../../sinks/alerts/routing/matchers.js';
import { RoutingConfigError } from '../../../../sinks/alerts/routing/errors.js';
import { parseDuration } from '../../../../operators/duration.js';

describe('parseMatcher / matches', () => {
  // [matcher, labels, expected]: hand-written against Alertmanager's documented semantics.
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['kind="sales"', { kind: 'sales' }, true],
    ['kind="sales"', { kind: 'service' }, false],
    ['kind="sales"', {}, false],
    ['queue!="test"', { queue: 'billing' }, true],
    ['queue!="test"', { queue: 'test' }, false],
    ['queue!="test"', {}, true],
    ['severity=~"warning|critical"', { severity: 'critical' }, true],
    ['severity=~"warning|critical"', { severity: 'info' }, false],
    // anchored: a substring match is not a match
    ['severity=~"warn"', { severity: 'warning' }, false],
    ['severity!~"info|warning"', { severity: 'critical' }, true],
    ['severity!~"info|warning"', { severity: 'info' }, false],
    // missing label matches the empty string
    ['segment=""', {}, true],
    ['segment=~".+"', {}, false],
    ['kind=sales', { kind: 'sales' }, true],
    ['  kind = "a b" ', { kind: 'a b' }, true],
    ['q="a\\"b"', { q: 'a"b' }, true],
  ];
  it.each(cases)('%s on %j -> %s', (text, labels, expected) => {
    expect(matches(parseMatcher(text, 'x'), labels)).toBe(expected);
  });

  it('all matchers must match; empty list matches everything', () => {
    const ms = parseMatchers(['kind="sales"', 'severity=~"critical"'], 'p');
    expect(matchesAll(ms, { kind: 'sales', severity: 'critical' })).toBe(true);
    expect(matchesAll(ms, { kind: 'sales', severity: 'warning' })).toBe(false);
    expect(matchesAll([], {})).toBe(true);
  });

  it('rejects bad syntax and bad regexes naming the path', () => {
    expect(() => parseMatchers(['kind="a"', 'kind=="x"'], 'alerting.route.matchers')).toThrowError(
      /alerting\.route\.matchers\[1\]: invalid matcher 'kind=="x"'/,
    );
    const err = (() => {
      try {
        parseMatcher('a=~"(unclosed"', 'here');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(RoutingConfigError);
    expect((err as RoutingConfigError).code).toBe('ROUTING_MATCHER_INVALID');
    expect(String(err)).toMatch(/invalid regular expression/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['4h', 14_400_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1d', 86_400_000],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', '5', 'm', '5 m', '-5m', '1.5h'])('rejects %j', (text) => expect(parseDuration(text)).toBeNull());
});

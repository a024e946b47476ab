import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ContactKpiConfigError, contactKpiOptionsFromConfig, windowLabels } from '../../../operators/contact-kpis/options.js';
import { formatDuration, positiveDuration } from '../../../operators/duration.js';
import { validateRules } from '../../../operators/rules/validate.js';

describe('contact_kpis options', () => {
  it('defaults to SPEC section 4', () => {
    const o = contactKpiOptionsFromConfig(undefined);
    expect(o).toEqual({
      windowSizesMs: [900_000, 3_600_000, 86_400_000],
      shortAbandonSeconds: 5,
      serviceLevelSeconds: 20,
      serviceLevelVariant: 'abandons_against',
      serviceLevelCallbacks: 'count',
      fcrLookaheadDays: 7,
      fcrScope: 'same_reason',
      allowedLatenessMs: 0,
    });
  });

  it('reads the YAML block, and its rules validate against its window sizes', () => {
    const block = parseYaml(`
window_sizes: [5m, 1h]
short_abandon_seconds: 10
service_level_seconds: 30
service_level_variant: ignore_abandons
service_level_callbacks: exclude
fcr_lookahead_days: 3
fcr_scope: any_reason
rules:
  - name: ab
    when: abandon_rate > 5%
    window: 5m
`) as Record<string, unknown>;
    const o = contactKpiOptionsFromConfig(block);
    expect(o).toMatchObject({
      windowSizesMs: [300_000, 3_600_000],
      shortAbandonSeconds: 10,
      serviceLevelSeconds: 30,
      serviceLevelVariant: 'ignore_abandons',
      serviceLevelCallbacks: 'exclude',
      fcrLookaheadDays: 3,
      fcrScope: 'any_reason',
      allowedLatenessMs: 0,
    });
    expect(windowLabels(o)).toEqual(['5m', '1h']);
    const [rule] = validateRules(block.rules, { windowSizes: o.windowSizesMs });
    expect(rule).toMatchObject({ windowMs: 300_000, condition: { threshold: 0.05 } });
  });

  it.each([
    [{ window_size: ['15m'] }, 'window_size'],
    [{ window_sizes: ['15 minutes'] }, 'window_sizes'],
    [{ service_level_variant: 'ignore' }, 'service_level_variant'],
    [{ short_abandon_seconds: -1 }, 'short_abandon_seconds'],
    [{ fcr_scope: 'reason' }, 'fcr_scope'],
    [{ window_sizes: ['0m'] }, 'window_sizes'],
    [{ window_sizes: [] }, 'window_sizes'],
  ])('rejects %j naming the field', (block, field) => {
    expect(() => contactKpiOptionsFromConfig(block)).toThrow(ContactKpiConfigError);
    expect(() => contactKpiOptionsFromConfig(block)).toThrow(`contact_kpis.${field}`);
  });

  it('refuses allowed_lateness, which only the job sets, saying what to do', () => {
    expect(() => contactKpiOptionsFromConfig({ allowed_lateness: '10m' })).toThrow(
      "contact_kpis.allowed_lateness: the job's event_time.allowed_lateness applies to every operator: remove this key and set that one",
    );
  });

  it('accepts compound durations and leaves the block as written', () => {
    const block = { window_sizes: ['1h30m', '15m'] };
    expect(contactKpiOptionsFromConfig(block).windowSizesMs).toEqual([900_000, 5_400_000]);
    expect(block).toEqual({ window_sizes: ['1h30m', '15m'] });
  });

  it('round-trips duration labels', () => {
    for (const label of ['30s', '5m', '15m', '1h', '1d', '1w', '90m']) expect(formatDuration(positiveDuration(label)!)).toBe(label === '90m' ? '90m' : label);
    expect(positiveDuration('15 minutes')).toBeNull();
    expect(positiveDuration('0m')).toBeNull();
  });
});

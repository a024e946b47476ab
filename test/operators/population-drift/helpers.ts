import { spawnSync } from 'node:child_process';
import type { ContactEvent, ProfileEvent, PulseEvent, TransactionEvent } from '../../../operators/events.js';
import type { OperatorOutput, OutputRow } from '../../../operators/operator.js';
import { PopulationDriftOperator, populationDriftOptionsFromConfig } from '../../../operators/population-drift/index.js';
import { answeredContact } from '../../helpers/contact-event.js';

export const DAY = 86_400_000;
export const WEEK = 7 * DAY;
/** A Monday. */
export const MON = Date.parse('2024-01-01T00:00:00Z');

let seq = 0;
export function tx(customer: string, ts: number, amount: number, channel = 'web'): TransactionEvent {
  return { type: 'transaction', event_id: `e${seq++}`, ts, customer_id: customer, amount, currency: null, channel, category: null };
}
export function contact(customer: string, ts: number, reason: string): ContactEvent {
  const id = seq++;
  return answeredContact(ts, { event_id: `e${id}`, customer_id: customer, contact_id: `c${id + 1}`, reason });
}
export function profile(customer: string, ts: number, region: string): ProfileEvent {
  return {
    type: 'profile',
    event_id: `e${seq++}`,
    ts,
    customer_id: customer,
    account_owner: null,
    region,
    age_band: '30-39',
    tier: null,
    signup_date: null,
    attributes: {},
  };
}

export { rng } from '../../helpers/seeded-random.js';
export function lognormal(r: () => number, mu: number, sigma: number): number {
  const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return Math.exp(mu + sigma * z);
}

export function build(config: Record<string, unknown>): PopulationDriftOperator {
  // Most scenarios have every customer active from the first period, so no warm-up is needed.
  return new PopulationDriftOperator(populationDriftOptionsFromConfig({ warmup_periods: 0, ...config }));
}

/** Collected outputs by kind, later rows replacing earlier ones with the same key (as the store does). */
export class Collected {
  readonly byKind = new Map<string, Map<string, OutputRow>>();
  add(outputs: OperatorOutput[]): void {
    for (const o of outputs) {
      const m = this.byKind.get(o.kind) ?? new Map<string, OutputRow>();
      for (const row of o.rows) m.set(keyOf(o.kind, row), row);
      this.byKind.set(o.kind, m);
    }
  }
  rows(kind: string): OutputRow[] {
    return [...(this.byKind.get(kind)?.values() ?? [])];
  }
}
function keyOf(kind: string, r: OutputRow): string {
  switch (kind) {
    case 'drift_metric':
      return `${String(r['run_id'])}|${String(r['feature'])}`;
    case 'alert':
      return String(r['alert_id']);
    case 'customer_segment':
      return String(r['customer_id']);
    case 'segment_migration':
      return `${String(r['run_id'])}|${String(r['from_tier'])}|${String(r['to_tier'])}`;
    default:
      return JSON.stringify(r);
  }
}

/** Feeds events in time order, advancing the watermark to each event's time (no lateness). */
export function run(op: PopulationDriftOperator, events: PulseEvent[], out: Collected, final = true): void {
  for (const e of [...events].sort((a, b) => a.ts - b.ts)) {
    op.onWatermark(e.ts);
    op.process(e);
  }
  if (final) op.onWatermark(Infinity);
  out.add(op.drainOutputs());
}

/** SciPy (Debian's /usr/bin/python3) as the oracle. */
export function scipy<T>(code: string, input: unknown): T {
  const result = spawnSync(
    '/usr/bin/python3',
    ['-c', `import json,sys\nimport numpy as np\nfrom scipy import stats\nfrom scipy.spatial import distance\ndata=json.load(sys.stdin)\n${code}`],
    {
      input: JSON.stringify(input),
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as T;
}

/**
 * What the default job's `customer_shifts` finds on customers who change, in data the project's
 * generator did not write (issue 17, on independent data): `bench/steady-buyers.py` with a truth
 * file, where half the customers of each buying pattern (`--changing`) change once, in the middle
 * half of the run (fewer purchases x0.3, more x3, a stop, amounts x0.3 or x3), and the others stay
 * as they were. Half within five weeks is ten times a real month: a season of changes that hides a
 * move together; `--changing 0.05 --moving 0.21` keeps the bench's number of movers with a
 * month's worth of changes on their own.
 * The operator runs on each pattern with `pulse run`, as in the default job.
 *
 * Scoring, per pattern:
 * - a change is found by the first alert on its customer in its direction (down: CustomerSpendDrop
 *   or CustomerWentQuiet; up: CustomerSpendJump) on its day or later, within `--within` days; its
 *   delay is the alert's window day less the change day (0 = the first changed day);
 * - false: any other shift or silence alert, but for later ones in the right direction (the same
 *   change again); the rate is per 1,000 customer-days before a change (unchanged customers' days
 *   and changed customers' days before their change);
 * - beside it, the weekly z-test and the CUSUM of `bench/reference-detectors.ts` on daily purchase
 *   counts, each at the threshold that gives it as many false alerts on the unchanged customers as
 *   the GLR had there: they see counts only, so they are scored on the count changes (fewer, more,
 *   stop);
 * - moves of part of the population found (analytic alerts): none is true, the customers change on
 *   their own; with `--move amounts|purchases|stop`, 40% of the customers who do not change on
 *   their own (`--moving`) move together from the middle day (steady-buyers.py), one move is true,
 *   and a line gives the movers' own alerts in its direction (its customers' alerts held back when it is
 *   found), the moves found and the customers listed as held back (`move_members`), how many of
 *   them movers; the movers are left out of the other figures but for false alerts before the move.
 *
 *   npm run build && node dist/bench/changing-buyers.js [--customers 3000] [--days 90] [--seed 11]
 *     [--patterns plain,overdisp,baskets,tz,monthly,twodays,pareto] [--within 28] [--move amounts] [--dir bench/.data]
 *     [--changing 0.5] [--moving 0.4]
 *     [--config pipelines/customer-analytics.yaml]
 *
 * Needs /usr/bin/python3 with numpy (Debian's python3-scipy brings it). Datasets are cached in --dir.
 */
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { median } from 'simple-statistics';
import { openReadOnly, queryRows } from '../sinks/reports/db.js';
import { buyersDataset, DAY_MS, DEFAULT_SHARES, FIRST_DAY_MS } from './buyers-data.js';
import { runJob, writeOperatorJob } from './operator-job.js';
import type { Alarm, Detector } from './reference-detectors.js';
import { calibrateThreshold, cusumAlarms, weeklyZAlarms } from './reference-detectors.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '3000' },
    days: { type: 'string', default: '90' },
    seed: { type: 'string', default: '11' },
    patterns: { type: 'string', default: 'plain,overdisp,baskets,tz,monthly,twodays,pareto' },
    within: { type: 'string', default: '28' },
    move: { type: 'string' },
    changing: { type: 'string', default: String(DEFAULT_SHARES.changing) },
    moving: { type: 'string', default: String(DEFAULT_SHARES.moving) },
    dir: { type: 'string', default: 'bench/.data' },
    config: { type: 'string', default: 'pipelines/customer-analytics.yaml' },
  },
});
/** A share option's value, a number from 0 to 1; anything else stops the bench with the option named. */
function share(option: 'changing' | 'moving'): number {
  const value = Number(values[option]);
  if (!(value >= 0 && value <= 1)) throw new Error(`--${option} must be a share from 0 to 1, got '${values[option]}'`);
  return value;
}
const customers = Number(values.customers);
const days = Number(values.days);
const within = Number(values.within);
const shares = { changing: share('changing'), moving: share('moving') };
const dataDir = resolve(values.dir as string);
mkdirSync(dataDir, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'changing-buyers-'));

type Kind = 'fewer' | 'more' | 'stop' | 'cheaper' | 'dearer';
const KINDS: readonly Kind[] = ['fewer', 'more', 'stop', 'cheaper', 'dearer'];
const COUNT_KINDS: readonly Kind[] = ['fewer', 'more', 'stop'];
const DIRECTION: Record<Kind, 'up' | 'down'> = { fewer: 'down', more: 'up', stop: 'down', cheaper: 'down', dearer: 'up' };
const RULE_DIRECTION: Record<string, 'up' | 'down'> = { CustomerSpendDrop: 'down', CustomerWentQuiet: 'down', CustomerSpendJump: 'up' };

interface Change {
  day: number;
  kind: Kind;
}

interface AlertDay {
  customer: string;
  day: number;
  direction: 'up' | 'down';
}

/** Purchases per customer and day, from the events file. */
async function dailyCounts(events: string): Promise<Map<string, Uint16Array>> {
  const counts = new Map<string, Uint16Array>();
  for await (const line of createInterface({ input: createReadStream(events) })) {
    const e = JSON.parse(line) as { customer_id: string; ts: number };
    let c = counts.get(e.customer_id);
    if (!c) counts.set(e.customer_id, (c = new Uint16Array(days)));
    const day = Math.floor((e.ts - FIRST_DAY_MS) / DAY_MS);
    if (day >= 0 && day < days) c[day] = (c[day] as number) + 1;
  }
  return counts;
}

/**
 * The customers' shift and silence alerts, the moves of part of the population found
 * (operators/shifts/together.ts) as "rule part from day d", and the customers listed as held back
 * by a move (`move_members`).
 */
async function shiftAlerts(events: string): Promise<{ alerts: AlertDay[]; moves: string[]; members: Set<string> }> {
  const job = join(work, 'job.yaml');
  writeOperatorJob(resolve(values.config as string), events, job, 'customer_shifts');
  const db = join(work, 'run.duckdb');
  await runJob(job, events, db, work);
  const store = await openReadOnly(db);
  try {
    const rows = await queryRows(
      store.connection,
      `SELECT customer_id, rule, epoch_ms(window_start) AS start FROM alerts WHERE rule IN (${Object.keys(RULE_DIRECTION)
        .map((r) => `'${r}'`)
        .join(',')}) ORDER BY start`,
    );
    const alerts = rows.map((r) => ({
      customer: String(r.customer_id),
      day: Math.floor((Number(r.start) - FIRST_DAY_MS) / DAY_MS),
      direction: RULE_DIRECTION[String(r.rule)] as 'up' | 'down',
    }));
    const moves = await queryRows(
      store.connection,
      `SELECT rule, labels->>'part' AS part, epoch_ms(window_start) AS start FROM alerts WHERE rule LIKE 'Group%' ORDER BY start, rule`,
    );
    const members = await queryRows(store.connection, `SELECT DISTINCT customer_id FROM move_members`);
    return {
      alerts,
      moves: moves.map((m) => `${String(m.rule)} ${String(m.part)} from day ${Math.floor((Number(m.start) - FIRST_DAY_MS) / DAY_MS)}`),
      members: new Set(members.map((m) => String(m.customer_id))),
    };
  } finally {
    store.close();
  }
}

/** Delay of the first alarm in the change's direction on its day or later, within the horizon; null when none. */
function delayOf(change: Change, alarms: ReadonlyArray<{ day: number; direction: 'up' | 'down' }>): number | null {
  const hit = alarms.find((a) => a.day >= change.day && a.direction === DIRECTION[change.kind]);
  return hit && hit.day - change.day < within ? hit.day - change.day : null;
}

/** Alarms that are not the change (before it, or the other way), and how many customer-days they had. */
function falseAlarms(change: Change | undefined, alarms: ReadonlyArray<{ day: number; direction: 'up' | 'down' }>): number {
  if (!change) return alarms.length;
  return alarms.filter((a) => a.day < change.day || a.direction !== DIRECTION[change.kind]).length;
}

const fmt = (delays: readonly number[], total: number): string =>
  total === 0 ? '-' : `${(delays.length / total).toFixed(2)} / ${delays.length > 0 ? median([...delays]) : '-'}`;
const cell = (s: string | number, width = 16): string => String(s).padEnd(width);

console.log(
  `changing customers: ${customers} x ${days} days per pattern, seed ${values.seed}, a share of ${shares.changing} of them changing once` +
    `${values.move ? ` and ${shares.moving} of the others moving together` : ''}; ` +
    `found within ${within} days: recall / median delay in days (0 = the first changed day)`,
);
console.log(['pattern', 'detector', 'FA/1000cd', 'precision', ...KINDS, 'moves found'].map((c) => cell(c)).join(''));
try {
  for (const pattern of (values.patterns as string).split(',')) {
    const { events, truth } = buyersDataset(dataDir, pattern, customers, days, Number(values.seed), true, values.move, shares);
    const changes = new Map<string, Change>();
    /** The customers of the move together (`--move`) and its first day. */
    const movers = new Map<string, number>();
    for (const line of readFileSync(truth as string, 'utf8').split('\n')) {
      if (line === '') continue;
      const t = JSON.parse(line) as { customer_id: string; day: number; kind: Kind | `moved-${string}` };
      if (t.kind.startsWith('moved-')) movers.set(t.customer_id, t.day);
      else changes.set(t.customer_id, { day: t.day, kind: t.kind as Kind });
    }
    const moveDirection = values.move === 'stop' ? 'down' : 'up';
    let moverAlerts = 0;
    const counts = await dailyCounts(events);
    const { alerts, moves, members } = await shiftAlerts(events);
    const alertsOf = new Map<string, AlertDay[]>();
    for (const a of alerts) alertsOf.set(a.customer, [...(alertsOf.get(a.customer) ?? []), a]);

    let daysBefore = 0;
    for (const id of counts.keys()) daysBefore += changes.get(id)?.day ?? movers.get(id) ?? days;
    let falseGlr = 0;
    let falseUnchanged = 0;
    const delays = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
    const byKind = new Map<Kind, number>(KINDS.map((k) => [k, 0]));
    for (const id of counts.keys()) {
      const change = changes.get(id);
      const own = alertsOf.get(id) ?? [];
      const moved = movers.get(id);
      if (moved !== undefined) {
        const inMove = own.filter((a) => a.day >= moved && a.direction === moveDirection).length;
        moverAlerts += inMove;
        falseGlr += own.length - inMove;
        continue;
      }
      const f = falseAlarms(change, own);
      falseGlr += f;
      if (!change) falseUnchanged += f;
      if (!change) continue;
      byKind.set(change.kind, (byKind.get(change.kind) as number) + 1);
      const d = delayOf(change, own);
      if (d !== null) delays.get(change.kind)?.push(d);
    }
    const found = [...delays.values()].reduce((n, d) => n + d.length, 0);
    console.log(
      [
        pattern,
        'GLR',
        ((1000 * falseGlr) / daysBefore).toFixed(3),
        (found / Math.max(1, found + falseGlr)).toFixed(3),
        ...KINDS.map((k) => fmt(delays.get(k) as number[], byKind.get(k) as number)),
        moves.length,
      ]
        .map((c) => cell(c))
        .join(''),
    );

    if (values.move) {
      console.log(
        `${''.padEnd(16)}move (${values.move}) of ${movers.size} customers from day ${days >> 1}: their own alerts in its direction ${moverAlerts}; ` +
          `moves found: ${moves.length === 0 ? 'none' : moves.join(', ')}; customers listed as held back: ${members.size}, ` +
          `${[...members].filter((id) => movers.has(id)).length} of them movers`,
      );
    }
    // The references, matched to the GLR's false alerts on the unchanged customers.
    const unchanged = [...counts.entries()].filter(([id]) => !changes.has(id) && !movers.has(id)).map(([, c]) => c);
    const references: Array<[string, Detector]> = [
      ['weekly z', weeklyZAlarms],
      ['cusum', cusumAlarms],
    ];
    for (const [name, detector] of references) {
      const threshold = calibrateThreshold(detector, unchanged, falseUnchanged);
      const refDelays = new Map<Kind, number[]>(COUNT_KINDS.map((k) => [k, []]));
      let refFalse = 0;
      for (const [id, c] of counts) {
        if (movers.has(id)) continue;
        const alarms: Alarm[] = detector(c, threshold);
        const change = changes.get(id);
        refFalse += falseAlarms(change, alarms);
        if (!change || !COUNT_KINDS.includes(change.kind)) continue;
        const d = delayOf(change, alarms);
        if (d !== null) refDelays.get(change.kind)?.push(d);
      }
      const refFound = [...refDelays.values()].reduce((n, d) => n + d.length, 0);
      console.log(
        [
          '',
          `${name} (${threshold.toFixed(1)})`,
          ((1000 * refFalse) / daysBefore).toFixed(3),
          (refFound / Math.max(1, refFound + refFalse)).toFixed(3),
          ...KINDS.map((k) => (COUNT_KINDS.includes(k) ? fmt(refDelays.get(k) as number[], byKind.get(k) as number) : '-')),
        ]
          .map((c) => cell(c))
          .join(''),
      );
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

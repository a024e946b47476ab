/**
 * The shift operator's population part (main thread): the clock of windows to close, the
 * population's rate factor per window and measure (population.ts), the onsets of moves of part of
 * the population (together.ts), and the Benjamini-Hochberg cut over every customer's p-value. It
 * drives each window close through the shards' local parts (local.ts, steps collect -> assess ->
 * apply).
 */
import { exactMerge, exactValue } from '../exact-sum.js';
import type { GlobalOperator, ShardRequests } from '../parallel.js';
import type { OperatorOutput } from '../operator.js';
import { type Alert, alertRow } from '../alert.js';
import { KeyedState } from '../state.js';
import type { ShiftSettings } from './config.js';
import { benjaminiHochberg } from './fdr.js';
import type { AssessAnswer, CollectAnswer, MeasureRate, ShiftPartial, ShiftRequest } from './local.js';
import { SHIFT_STATES } from './local.js';
import { type PopulationState, newPopulation, populationKeyParts, populationStep, recordPopulationRate, recordPopulationSize } from './population.js';
import {
  type KnownMoves,
  MOVE_KINDS,
  type MoveKind,
  type MoveOnset,
  SAME_MOVE_WINDOWS,
  type ScreenedChanges,
  type SplitEdges,
  findOnsets,
  mergeCounts,
  moveIdentity,
  populationEdge,
  screenedKey,
  watchesTogether,
} from './together.js';
import { togetherAlert, togetherAlertId } from './alerts.js';

export interface ClockState {
  /** Next window index to close (null before the first event). */
  next: number | null;
  /** Highest window index that has seen an event. */
  max: number | null;
  /** Window indexes at or after `next` that have seen an event (see `onWatermark`). */
  active?: number[];
}

const CLOCK_KEY = 'clock';

export class CustomerShiftGlobal implements GlobalOperator {
  readonly states: Readonly<Record<string, KeyedState<unknown>>>;
  private readonly population = new KeyedState<PopulationState>();
  private readonly clock = new KeyedState<ClockState>();
  private outputs: Alert[] = [];

  constructor(
    readonly name: string,
    private readonly cfg: ShiftSettings,
  ) {
    this.states = {
      [SHIFT_STATES.population]: this.population as KeyedState<unknown>,
      [SHIFT_STATES.clock]: this.clock as KeyedState<unknown>,
    };
  }

  merge(partials: readonly unknown[]): void {
    if (partials.length === 0) return;
    const clock = this.clockState();
    const active = new Set(clock.active ?? []);
    // The first batch with events opens the clock at its earliest window.
    clock.next ??= Math.min(...(partials as ShiftPartial[]).map((p) => p.min));
    for (const partial of partials as ShiftPartial[]) {
      if (clock.max === null || partial.max > clock.max) clock.max = partial.max;
      for (const index of partial.indexes) if (index >= clock.next) active.add(index);
    }
    clock.active = [...active].sort((a, b) => a - b);
    this.clock.set(CLOCK_KEY, clock);
  }

  /**
   * Closes the windows the watermark has passed, up to the newest one with events: a watermark
   * that runs ahead of the data (idle source, end of input) must not invent days of silence for
   * every customer. A stretch of windows in which no customer had any event is closed only for as
   * many windows as a series remembers (`ringWindows`): after that every series holds only silence,
   * and more of it changes nothing, so the work never depends on the length of a gap in the data.
   */
  *onWatermark(watermark: number): ShardRequests {
    const clock = this.clockState();
    if (clock.next === null || clock.max === null) return;
    const limit = watermark === Number.POSITIVE_INFINITY ? clock.max : Math.min(clock.max, Math.floor(watermark / this.cfg.windowMs) - 1);
    if (limit < clock.next) return;
    const active = clock.active ?? [];
    let index = clock.next;
    let silent = 0;
    while (index <= limit) {
      const nextActive = active.find((i) => i >= index) ?? Number.POSITIVE_INFINITY;
      silent = nextActive === index ? 0 : silent + 1;
      const after = silent >= this.cfg.ringWindows ? Math.min(limit + 1, nextActive) : index + 1;
      yield* this.closeWindow(index, after);
      index = after;
    }
    this.clock.set(CLOCK_KEY, { next: limit + 1, max: clock.max, active: active.filter((i) => i > limit) });
  }

  *sync(): ShardRequests {
    const request: ShiftRequest = { step: 'sync', next: this.clockState().next };
    yield request;
  }

  drainOutputs(): OperatorOutput[] {
    if (this.outputs.length === 0) return [];
    const rows = this.outputs.map(alertRow);
    this.outputs = [];
    return [{ kind: 'alert', rows }];
  }

  private clockState(): ClockState {
    return this.clock.get(CLOCK_KEY) ?? { next: null, max: null };
  }

  /** Closes window `index` on every shard; `next` is the window to close after it. */
  private *closeWindow(index: number, next: number): ShardRequests {
    const cfg = this.cfg;
    const collected = (yield { step: 'collect', index } satisfies ShiftRequest) as CollectAnswer[];
    const assessRequest: ShiftRequest = { step: 'assess', index };
    if (cfg.method === 'glr') Object.assign(assessRequest, this.recordRates(index, collected));
    else assessRequest.offsets = this.populationOffsets(collected);
    const assessed = (yield assessRequest) as AssessAnswer[];
    const pValues = assessed.flatMap((a) => a.pValues);
    const tested = assessed.reduce((n, a) => n + a.tested, 0);
    const apply: ShiftRequest = { step: 'apply', index, cut: this.cut(pValues, tested), next };
    if (watchesTogether(cfg)) apply.together = this.recordTogether(index, collected, assessed);
    yield apply;
  }

  /**
   * GLR: per population (measure, or measure and segment with `population.segmentBy`), the event
   * rate of this window against what the series expected, and the log sizes' departure from the
   * series' baselines; a move of the whole population (segment) scales every one of its series'
   * exposure of that window and shifts its log sizes, so it is no one customer's shift. Returns the
   * factors the series need (ln rate factor and log-size departure, by window index).
   */
  private recordRates(
    index: number,
    collected: readonly CollectAnswer[],
  ): { rates: Record<string, Record<string, number>>; sizes: Record<string, Record<string, number>> } {
    const cfg = this.cfg;
    const totals = new Map<string, MeasureRate>();
    for (const answer of collected) {
      for (const [key, rate] of Object.entries(answer.rates)) {
        const total = totals.get(key) ?? { observed: 0, expected: [], series: 0, sizeDeviation: [], sizeEvents: 0 };
        total.observed += rate.observed;
        exactMerge(total.expected, rate.expected);
        total.series += rate.series;
        exactMerge(total.sizeDeviation, rate.sizeDeviation);
        total.sizeEvents += rate.sizeEvents;
        totals.set(key, total);
      }
    }
    const rates: Record<string, Record<string, number>> = {};
    const sizeShifts: Record<string, Record<string, number>> = {};
    for (const key of [...totals.keys()].sort()) {
      const total = totals.get(key)!;
      const pop = this.population.get(key) ?? newPopulation();
      const enabled = cfg.population.enabled && total.series > 0 && total.series >= cfg.population.minSeries;
      recordPopulationRate(pop, index, enabled ? total.observed : 0, enabled ? exactValue(total.expected) : 0, cfg.ringWindows);
      const sizes = enabled && cfg.population.sizes;
      recordPopulationSize(pop, index, sizes ? exactValue(total.sizeDeviation) : 0, sizes ? total.sizeEvents : 0, cfg.ringWindows);
      if (enabled) this.population.set(key, pop);
      rates[key] = pop.rates ?? {};
      sizeShifts[key] = pop.sizes ?? {};
    }
    return { rates, sizes: sizeShifts };
  }

  /**
   * GLR: the onsets of moves together (together.ts) that the series of each population (measure,
   * or measure and segment) have shown so far, new ones from this close's located changes, while a
   * series' ring still holds them. A new onset gets its analytic alert unless one of the same move
   * (`moveIdentity`, within SAME_MOVE_WINDOWS) has had one.
   */
  private recordTogether(index: number, collected: readonly CollectAnswer[], assessed: readonly AssessAnswer[]): Record<string, KnownMoves> {
    const cfg = this.cfg;
    const screened: ScreenedChanges = {};
    const edges: SplitEdges = {};
    for (const answer of assessed) {
      if (answer.screened) mergeCounts(screened, answer.screened);
      if (answer.edges) mergeCounts(edges, answer.edges);
    }
    const seriesOf = new Map<string, number>();
    for (const answer of collected) for (const [key, rate] of Object.entries(answer.rates)) seriesOf.set(key, (seriesOf.get(key) ?? 0) + rate.series);
    const keys = new Set([...this.population.entries()].filter(([, pop]) => pop.together).map(([key]) => key));
    for (const key of seriesOf.keys()) if (MOVE_KINDS.some((kind) => screened[screenedKey(key, kind)])) keys.add(key);
    const segmented = cfg.population.segmentBy !== 'none';
    const told: Array<{ identity: string } & MoveOnset> = [];
    for (const [key, pop] of this.population.entries()) {
      const { measure, segment } = populationKeyParts(key, segmented);
      for (const [kind, moves] of Object.entries(knownMoves(pop, measure, segment, cfg.windowMs)) as Array<[MoveKind, MoveOnset[]]>) {
        for (const move of moves) told.push({ identity: moveIdentity(measure, segment, kind), ...move });
      }
    }
    const together: Record<string, KnownMoves> = {};
    for (const key of [...keys].sort()) {
      const pop = this.population.get(key) ?? newPopulation();
      const parts = populationKeyParts(key, segmented);
      const previous = knownMoves(pop, parts.measure, parts.segment, cfg.windowMs);
      const moves: KnownMoves = {};
      const { minSeries, minShare } = cfg.population.together;
      const fewest = Math.max(minSeries, Math.ceil(minShare * (seriesOf.get(key) ?? 0)));
      const edge = populationEdge(edges[key]);
      for (const kind of MOVE_KINDS) {
        const known = (previous[kind] ?? []).filter((move) => move.start > index - cfg.ringWindows);
        const starts = known.map((move) => move.start);
        for (const found of findOnsets(screened[screenedKey(key, kind)] ?? {}, starts, fewest, index, cfg.glr.maxRecent, edge)) {
          starts.push(found.start);
          const identity = moveIdentity(parts.measure, parts.segment, kind);
          // A second onset of a move already told is that move: its customers are listed under its alert.
          const same = told.find((t) => t.identity === identity && Math.abs(t.start - found.start) <= SAME_MOVE_WINDOWS);
          if (same) {
            known.push({ start: found.start, alertId: same.alertId });
            continue;
          }
          const alert = togetherAlert({
            ...parts,
            kind,
            onsetStart: found.start * cfg.windowMs,
            window: cfg.window,
            firedAt: (index + 1) * cfg.windowMs,
            series: found.series,
            background: found.background,
          });
          this.outputs.push(alert);
          known.push({ start: found.start, alertId: alert.alert_id });
          told.push({ identity, start: found.start, alertId: alert.alert_id });
        }
        if (known.length > 0) moves[kind] = known;
      }
      // Written only when a move came or went: most closes change nothing.
      if (JSON.stringify(previous) !== JSON.stringify(moves)) {
        setKnownMoves(pop, moves);
        this.population.set(key, pop);
      }
      together[key] = moves;
    }
    return together;
  }

  /** CUSUM: population offsets per measure from every series' standardised value. */
  private populationOffsets(collected: readonly CollectAnswer[]): Record<string, { offsetU: number; offsetZ: number }> {
    const cfg = this.cfg;
    const us = new Map<string, number[]>();
    for (const answer of collected) {
      for (const [measure, values] of Object.entries(answer.us)) {
        const all = us.get(measure);
        if (all) all.push(...values);
        else us.set(measure, [...values]);
      }
    }
    const offsets: Record<string, { offsetU: number; offsetZ: number }> = {};
    for (const measure of [...us.keys()].sort()) {
      if (!cfg.population.enabled) {
        offsets[measure] = { offsetU: 0, offsetZ: 0 };
        continue;
      }
      const pop = this.population.get(measure) ?? newPopulation();
      offsets[measure] = populationStep(pop, us.get(measure)!, cfg.population.minSeries, cfg.shortWindows);
      this.population.set(measure, pop);
    }
    return offsets;
  }

  /**
   * The largest p-value that Benjamini-Hochberg rejects over every shard's candidates (the family is
   * every tested series); -Infinity when none, +Infinity when the control is off. Tied p-values
   * never straddle the cut, so "p <= cut" on each shard is the procedure's own decision.
   */
  private cut(pValues: readonly number[], tested: number): number {
    if (!this.cfg.fdr.enabled) return Number.POSITIVE_INFINITY;
    const rejected = benjaminiHochberg(pValues, this.cfg.fdr.q, Math.max(tested, pValues.length));
    let cut = Number.NEGATIVE_INFINITY;
    rejected.forEach((r, i) => {
      if (r && pValues[i]! > cut) cut = pValues[i]!;
    });
    return cut;
  }
}

/**
 * A population's known moves from its state (PopulationState `together` and `moveAlerts`); an onset
 * without its alert's id (state written before they were kept) names the alert it would have had.
 */
function knownMoves(pop: PopulationState, measure: string, segment: string | null, windowMs: number): KnownMoves {
  const moves: KnownMoves = {};
  for (const [kind, starts] of Object.entries(pop.together ?? {}) as Array<[MoveKind, number[]]>) {
    const alerts = pop.moveAlerts?.[kind];
    moves[kind] = starts.map((start, i) => ({ start, alertId: alerts?.[i] ?? togetherAlertId({ measure, segment, kind, onsetStart: start * windowMs }) }));
  }
  return moves;
}

/** Stores a population's known moves in its state (none: both fields go). */
function setKnownMoves(pop: PopulationState, moves: KnownMoves): void {
  const kinds = Object.entries(moves) as Array<[MoveKind, MoveOnset[]]>;
  if (kinds.length === 0) {
    delete pop.together;
    delete pop.moveAlerts;
    return;
  }
  pop.together = Object.fromEntries(kinds.map(([kind, known]) => [kind, known.map((move) => move.start)]));
  pop.moveAlerts = Object.fromEntries(kinds.map(([kind, known]) => [kind, known.map((move) => move.alertId)]));
}

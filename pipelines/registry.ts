import { CONTACT_KPIS_SCHEMA, contactKpiOptionsFromConfig, contactKpiPlan, type ContactKpiOptions } from '../operators/contact-kpis/index.js';
import { CustomerWindowsOperator } from '../operators/customer-windows.js';
import { validateRules } from '../operators/rules/index.js';
import { CUSTOMER_SHIFTS_SCHEMA, customerShiftPlan, resolveShiftConfig } from '../operators/shifts/index.js';
import { SERVICE_TRIGGERS_OPERATOR } from '../operators/service/index.js';
import { POPULATION_DRIFT_SCHEMA, populationDriftOptionsFromConfig, populationDriftPlan } from '../operators/population-drift/index.js';
import type { OperatorPlan } from '../operators/parallel.js';
import { startingAfter, windowKey, windowSpec, type WindowSpec } from '../operators/windows.js';
import { formatDuration } from '../operators/duration.js';
import { ComponentRegistry, type ComponentSpec } from '../operators/config/component-registry.js';
import { Duration, Type, type TSchema } from '../operators/config/schema.js';
import type { WindowSizesSince } from './window-sizes-since.js';

/** What every operator factory gets besides its own config. */
export interface BuildContext {
  allowedLatenessMs: number;
  /** When each operator type's windows came into the job (pipelines/window-sizes-since.ts); unset: all from the start. */
  windowsSince?: WindowSizesSince;
}

export interface OperatorFactory extends ComponentSpec {
  /** Schema of the operator's settings (besides `type` and `name`), operators/config/schema.ts. */
  readonly schema: TSchema;
  /** The operator's parts (operators/parallel.ts); built on the main thread and on every shard. */
  build(name: string, settings: Record<string, unknown>, context: BuildContext): OperatorPlan;
  /**
   * The settings that give its stored state its meaning, as canonical text (durations in ms are one
   * text whatever the unit written): a run on a database whose state was kept under others stops
   * (pipelines/state-settings.ts). Unset: none.
   */
  stateSettings?(settings: Record<string, unknown>): Record<string, string>;
  /**
   * The windows the operator keeps, for those whose sizes may be added between runs: one added to a
   * job that has read events starts after them, as `build` is told (BuildContext.windowsSince).
   */
  windows?(settings: Record<string, unknown>): WindowSpec[];
  /**
   * The operator keeps its open windows in its state, under its name (`contact_kpis`), not as rows
   * of a table every operator of its type goes on with (`customer_windows`): renamed, its windows
   * start empty, so its sizes count as added (`windowsRecordKey`).
   */
  windowsByName?: true;
}

/** Under which key the windows of operator `name` of `factory` are recorded (pipelines/window-sizes-since.ts). */
export function windowsRecordKey(factory: Pick<OperatorFactory, 'type' | 'windowsByName'>, name: string): string {
  return factory.windowsByName ? name : factory.type;
}

const CUSTOMER_WINDOWS_SCHEMA = Type.Object(
  {
    windows: Type.Array(Type.Object({ size: Duration(), slide: Type.Optional(Duration()) }, { additionalProperties: false }), {
      minItems: 1,
      default: [{ size: '1h' }, { size: '1d' }],
      description: 'tumbling (size) or sliding (size and slide) windows',
    }),
  },
  { additionalProperties: false },
);

/** `specs` as the job keeps them: a size added after events were read starts after them (BuildContext.windowsSince). */
function keptWindows(recordKey: string, specs: readonly WindowSpec[], context: BuildContext): WindowSpec[] {
  const since = context.windowsSince?.[recordKey] ?? {};
  return specs.map((spec) => {
    const after = since[windowKey(spec)];
    return after === undefined || after === null ? spec : startingAfter(spec, after);
  });
}

function customerWindowSpecs(settings: Record<string, unknown>): WindowSpec[] {
  return (settings['windows'] as Array<{ size: string; slide?: string }>).map((w) => windowSpec(w.size, w.slide));
}

const customerWindows: OperatorFactory = {
  type: 'customer_windows',
  description: 'windowed per-customer spend, refund, usage and contact aggregates (table customer_windows)',
  schema: CUSTOMER_WINDOWS_SCHEMA,
  windows: customerWindowSpecs,
  build(name, settings, context) {
    const windows = keptWindows(windowsRecordKey(customerWindows, name), customerWindowSpecs(settings), context);
    // Per customer only: it runs whole on each shard.
    return { name, createLocal: () => new CustomerWindowsOperator({ name, windows, allowedLatenessMs: context.allowedLatenessMs }) };
  },
};

function kpiWindowSpecs(options: ContactKpiOptions): WindowSpec[] {
  return options.windowSizesMs.map((sizeMs) => windowSpec(formatDuration(sizeMs)));
}

const contactKpis: OperatorFactory = {
  type: 'contact_kpis',
  description: 'contact-center KPIs per window, queue and channel (table contact_kpis) and KPI threshold rules',
  // The rules have their own validator with rule-by-rule messages (operators/rules/validate.ts), run at build time.
  schema: CONTACT_KPIS_SCHEMA,
  windows: (settings) => kpiWindowSpecs(contactKpiOptionsFromConfig(settings)),
  windowsByName: true,
  build(name, settings, context) {
    const options = contactKpiOptionsFromConfig(settings);
    const kept = keptWindows(windowsRecordKey(contactKpis, name), kpiWindowSpecs(options), context);
    return contactKpiPlan({
      ...options,
      firstWindowStartMs: Object.fromEntries(kept.map((spec) => [spec.sizeMs, spec.firstStartMs])),
      name,
      // One lateness for the whole job: the event gate has already refused anything later.
      allowedLatenessMs: context.allowedLatenessMs,
      rules: validateRules(settings['rules'], { windowSizes: options.windowSizesMs }),
    });
  },
  // Each customer's look-ahead entries keep a reason under same_reason only; windows still open to
  // repeats were counted under the look-ahead they were stored with (a change mixed two).
  stateSettings: (settings) => {
    const options = contactKpiOptionsFromConfig(settings);
    return { fcr_scope: options.fcrScope, fcr_lookahead_days: String(options.fcrLookaheadDays) };
  },
};

const customerShifts: OperatorFactory = {
  type: 'customer_shifts',
  description: 'per-customer behaviour shifts (drops and jumps) and instant triggers, as sales alerts',
  // resolveShiftConfig adds the defaults and checks that depend on other keys (operators/shifts/config.ts).
  schema: CUSTOMER_SHIFTS_SCHEMA,
  build(name, settings) {
    return customerShiftPlan(name, resolveShiftConfig(settings));
  },
  // Rings and the close clock count windows; the seasonal profile counts windows of its period; the
  // two methods keep different state.
  stateSettings(settings) {
    const cfg = resolveShiftConfig(settings);
    return { window: formatDuration(cfg.windowMs), method: cfg.method, seasonPeriod: String(cfg.seasonPeriod) };
  },
};

const populationDrift: OperatorFactory = {
  type: 'population_drift',
  description: 'population drift per period (table drift_metrics), value tiers and RFM (customer_segments), rescoring alerts',
  // populationDriftOptionsFromConfig adds the checks across keys (operators/population-drift/options.ts).
  schema: POPULATION_DRIFT_SCHEMA,
  build(name, settings) {
    return populationDriftPlan(populationDriftOptionsFromConfig({ ...settings, name }));
  },
  // Open periods are numbered on the period grid; a fixed or snapshot reference is a stored summary
  // of its periods; sketches merge only at one accuracy; each feature's summaries sum its source.
  stateSettings(settings) {
    const options = populationDriftOptionsFromConfig(settings);
    const { reference } = options;
    const features = options.features.map((f) => [`features.${f.name}`, [f.source, f.kind, f.field].filter((part) => part !== null).join(' ')]);
    return {
      period: formatDuration(options.periodMs),
      period_offset: formatDuration(options.offsetMs),
      // A snapshot is read by name at each start: choosing another one is a choice, not a misreading.
      reference: reference.mode === 'fixed' ? `fixed ${new Date(reference.start).toISOString()} to ${new Date(reference.end).toISOString()}` : reference.mode,
      relative_accuracy: String(options.relativeAccuracy),
      ...Object.fromEntries(features),
    };
  },
};

/** Every operator a job can name, by its YAML `type`. */
export const OPERATOR_FACTORIES = new ComponentRegistry<OperatorFactory>('operator', [
  customerWindows,
  contactKpis,
  customerShifts,
  populationDrift,
  SERVICE_TRIGGERS_OPERATOR,
]);

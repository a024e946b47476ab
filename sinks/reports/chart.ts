import type * as Vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';

/**
 * Renders a Vega-Lite spec to an SVG string on the server (no DOM, no canvas). Data must be inline
 * (`data.values`): the loader refuses every URL so a report never reaches the network. Vega escapes
 * the text it writes into the SVG (labels, aria-label attributes).
 *
 * Compiling (Vega-Lite to Vega) and parsing (Vega to a dataflow description) took about half of a
 * chart's time (measured with bench/report-render-bench.ts), and they depend on the spec's shape,
 * not on its rows: reports of the same rule share one shape. So the spec's top-level rows are taken
 * out and passed to the view as a named data set, the values of its top-level variable parameters
 * (`params: [{ name, value }]`, e.g. an axis range that moves with each report's windows) are set
 * on the view as signals, and the parsed shape is cached; every render still builds its own view,
 * so nothing of one chart's data or layout reaches the next.
 */
export async function renderChartSvg(spec: TopLevelSpec): Promise<string> {
  const charts = await chartLibraries();
  const { runtime, values, signals } = parsedChart(charts, spec);
  const view = new charts.vega.View(runtime, { renderer: 'none', loader: charts.loader });
  try {
    if (values !== undefined) view.data(ROWS, values);
    for (const { name, value } of signals) view.signal(name, value);
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

interface ChartLibraries {
  vega: typeof Vega;
  compile: (typeof import('vega-lite'))['compile'];
  /** Refuses every URL. */
  loader: Vega.Loader;
}

let libraries: Promise<ChartLibraries> | undefined;

/**
 * Vega and Vega-Lite, loaded with the first chart: every `pulse` command imports the report modules
 * and few draw a chart (loading both took about 175 ms of each command's start).
 */
function chartLibraries(): Promise<ChartLibraries> {
  libraries ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vl]) => {
    const loader = vega.loader();
    loader.load = (uri: string) => Promise.reject(new Error(`report charts use inline data only; refusing to load ${uri}`));
    return { vega, compile: vl.compile, loader };
  });
  return libraries;
}

/** The named data set that stands for a spec's top-level `data.values`. */
const ROWS = 'pulse_rows';
/** Parsed shapes kept; a run's reports use a few dozen at most (one per rule, a few per drift report). */
const CACHE_LIMIT = 64;
const parsedShapes = new Map<string, Vega.Runtime>();

function parsedChart({ vega, compile }: ChartLibraries, spec: TopLevelSpec): { runtime: Vega.Runtime; values?: unknown[]; signals: Signal[] } {
  const data = (spec as { data?: unknown }).data;
  const values = isInlineRows(data) ? data.values : undefined;
  const params = (spec as { params?: unknown }).params;
  const signals = Array.isArray(params) && params.every(isVariableParameter) ? params : [];
  const shape = {
    ...spec,
    ...(values === undefined ? {} : { data: { name: ROWS } }),
    ...(signals.length === 0 ? {} : { params: signals.map(({ name }) => ({ name, value: null })) }),
  } as TopLevelSpec;
  const key = JSON.stringify(shape);
  let runtime = parsedShapes.get(key);
  if (runtime === undefined) {
    runtime = vega.parse(compile(shape).spec);
    if (parsedShapes.size >= CACHE_LIMIT) parsedShapes.delete(parsedShapes.keys().next().value as string);
  } else {
    parsedShapes.delete(key);
  }
  // Re-inserted on every use: the Map's first key is then the least recently used one.
  parsedShapes.set(key, runtime);
  return values === undefined ? { runtime, signals } : { runtime, values, signals };
}

/** A top-level variable parameter: a name and a value, no selection, binding or expression. */
interface Signal {
  name: string;
  value: unknown;
}

function isVariableParameter(param: unknown): param is Signal {
  return (
    typeof param === 'object' && param !== null && Object.keys(param).every((k) => k === 'name' || k === 'value') && typeof (param as Signal).name === 'string'
  );
}

function isInlineRows(data: unknown): data is { values: unknown[] } {
  return typeof data === 'object' && data !== null && Array.isArray((data as { values?: unknown }).values) && Object.keys(data).length === 1;
}

import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

/**
 * Renders a Vega-Lite spec to an SVG string on the server (no DOM, no canvas). Data must be inline
 * (`data.values`): the loader refuses every URL so a report never reaches the network. Vega escapes
 * the text it writes into the SVG (labels, aria-label attributes).
 */
export async function renderChartSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader: OFFLINE_LOADER });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const OFFLINE_LOADER = vega.loader();
OFFLINE_LOADER.load = (uri: string) => Promise.reject(new Error(`report charts use inline data only; refusing to load ${uri}`));

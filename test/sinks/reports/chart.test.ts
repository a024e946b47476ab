import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { renderChartSvg } from '../../../sinks/reports/chart.js';
import { ariaLabels } from './fixture.js';

/** Oracle: Vega-Lite's documented path, compiled and parsed afresh with the rows inline. */
async function freshSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Vega numbers gradients per process (gradient_0, gradient_1, ...); the ids say nothing about the chart. */
const sameChart = (svg: string) => svg.replace(/gradient_\d+/g, 'gradient');

function lineChart(values: Array<{ t: number; value: number; series: string }>, threshold?: number): TopLevelSpec {
  return {
    width: 300,
    height: 120,
    data: { values },
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 't', type: 'temporal', scale: { type: 'utc' } },
          y: { field: 'value', type: 'quantitative' },
          color: { field: 'series', type: 'nominal' },
          tooltip: [
            { field: 'series', type: 'nominal' },
            { field: 'value', type: 'quantitative' },
          ],
        },
      },
      ...(threshold === undefined ? [] : [{ mark: 'rule' as const, encoding: { y: { datum: threshold }, description: { value: `threshold ${threshold}` } } }]),
    ],
  } as TopLevelSpec;
}

const T = Date.parse('2026-01-05T10:00:00Z');
const rows = (n: number, scale: number, series: string) => Array.from({ length: n }, (_, i) => ({ t: T + i * 900_000, value: (i + 1) * scale, series }));

describe('renderChartSvg', () => {
  it('draws what a fresh compile draws, for charts of one shape with other rows and for other shapes', async () => {
    const specs = [
      lineChart(rows(4, 0.01, 'billing / voice')),
      // The same shape again: the cached parse must take these rows, not keep the first chart's.
      lineChart([...rows(6, 0.5, 'tech / chat'), ...rows(3, 0.2, 'billing / voice')]),
      lineChart(rows(2, 3, 'x')),
      lineChart(rows(5, 0.02, 'billing / voice'), 0.08),
      { ...lineChart(rows(3, 1, 'y')), width: 500 } as TopLevelSpec,
    ];
    for (const spec of specs) {
      const fresh = await freshSvg(structuredClone(spec));
      expect(sameChart(await renderChartSvg(spec))).toBe(sameChart(fresh));
    }
    // The second chart has its own nine points, in both series.
    const points = ariaLabels(await renderChartSvg(specs[1]!), 'point');
    expect(points).toHaveLength(9);
    expect(points.filter((l) => l.includes('tech / chat'))).toHaveLength(6);
  });
  it("sets a chart's top-level parameters on the view: charts of one shape with other ranges draw what a fresh compile of each draws", async () => {
    const ranged = (from: number, to: number, n: number): TopLevelSpec => {
      const spec = lineChart(rows(n, 0.1, 'billing / voice')) as TopLevelSpec & { layer: Array<{ encoding?: { x?: { scale?: unknown } } }> };
      spec.layer[0]!.encoding!.x!.scale = { type: 'utc', domain: [{ expr: 'x_from' }, { expr: 'x_to' }] };
      return {
        ...spec,
        params: [
          { name: 'x_from', value: from },
          { name: 'x_to', value: to },
        ],
      } as TopLevelSpec;
    };
    const specs = [ranged(T, T + 4 * 900_000, 4), ranged(T - 86_400_000, T + 86_400_000, 4), ranged(T + 900_000, T + 2 * 900_000, 3)];
    const drawn: string[] = [];
    for (const spec of specs) {
      const svg = sameChart(await renderChartSvg(spec));
      expect(svg).toBe(sameChart(await freshSvg(structuredClone(spec))));
      drawn.push(svg);
    }
    // Each range is its own: a cached shape keeps none of an earlier chart's.
    expect(new Set(drawn).size).toBe(specs.length);
    // As a literal domain draws it.
    const literal = lineChart(rows(4, 0.1, 'billing / voice')) as TopLevelSpec & { layer: Array<{ encoding?: { x?: { scale?: unknown } } }> };
    literal.layer[0]!.encoding!.x!.scale = { type: 'utc', domain: [T - 86_400_000, T + 86_400_000] };
    expect(drawn[1]).toBe(sameChart(await freshSvg(literal)));
  });
});

/**
 * Highlight rules of scheduled reports (job YAML `reports.schedule[].highlight`): the colour-coding
 * of daily and weekly reports. A rule names a KPI column, a bound and a colour, and what it
 * colours:
 * - `cell` (default): the KPI's cell in every row whose value is past the bound;
 * - `row`: the whole row (queue x channel) whose KPI value is past the bound;
 * - `column`: the KPI's whole column when a total row (all queues, one per channel in the
 *   scorecard) is past the bound.
 * Where rules disagree on a cell the more severe colour wins (red, amber, green, blue), so a
 * warning never hides a breach. Bounds are strict (`above: 0.08` colours 0.081, not 0.08); a
 * missing value (n/a, a zero denominator) is never coloured. `channels` limits a rule to the rows
 * of those channels (service level, for one, means nothing for e-mail): a cell or row rule colours
 * only them, a column rule judges only their total rows; the rows of tables without channels (the
 * signals summary) are then never coloured by it.
 */
import { StringEnum, Type, type Static } from '../../operators/config/schema.js';

export const HIGHLIGHT_COLOURS = ['red', 'amber', 'green', 'blue'] as const;
export type HighlightColour = (typeof HIGHLIGHT_COLOURS)[number];

export const HIGHLIGHT_TARGETS = ['cell', 'row', 'column'] as const;
export type HighlightTarget = (typeof HIGHLIGHT_TARGETS)[number];

/** One rule, defaults filled in by the schema. */
export type HighlightRule = Static<typeof HIGHLIGHT_RULE_SCHEMA> & { apply: HighlightTarget };

/** JSON Schema of one rule in the job YAML (unknown keys rejected). */
export const HIGHLIGHT_RULE_SCHEMA = Type.Object(
  {
    kpi: Type.String({ description: 'the KPI column, e.g. abandon_rate, service_level, aht_seconds' }),
    above: Type.Optional(Type.Number({ description: 'colour when the value is greater than this' })),
    below: Type.Optional(Type.Number({ description: 'colour when the value is less than this' })),
    colour: StringEnum(HIGHLIGHT_COLOURS, { description: 'the colour of what the rule marks' }),
    apply: Type.Optional(
      StringEnum(HIGHLIGHT_TARGETS, {
        default: 'cell',
        description: 'cell, the whole row, or the whole column (judged on the total rows: all queues, per channel)',
      }),
    ),
    channels: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'only rows of these channels (a column rule: only their total rows)' }),
    ),
  },
  { additionalProperties: false, anyOf: [{ required: ['above'] }, { required: ['below'] }] },
);

export function breaches(rule: HighlightRule, value: number | null): boolean {
  if (value === null || !Number.isFinite(value)) return false;
  return (rule.above !== undefined && value > rule.above) || (rule.below !== undefined && value < rule.below);
}

const rank = (c: HighlightColour | null): number => (c === null ? HIGHLIGHT_COLOURS.length : HIGHLIGHT_COLOURS.indexOf(c));
const stronger = (a: HighlightColour | null, b: HighlightColour): HighlightColour => (rank(b) < rank(a) ? b : a!);

/**
 * The colour of every cell of a table: `columns` are the table's KPI names (null for label
 * columns), `values[r][c]` the number a rule judges, `totalRows` the indexes of the total rows
 * that `column` rules judge, `rowChannels[r]` the channel of row `r` (none for tables without
 * channels).
 */
export function highlightCells(
  rules: readonly HighlightRule[],
  columns: ReadonlyArray<string | null>,
  values: ReadonlyArray<ReadonlyArray<number | null>>,
  totalRows: readonly number[],
  rowChannels: readonly string[] = [],
): Array<Array<HighlightColour | null>> {
  const out = values.map(() => columns.map((): HighlightColour | null => null));
  const paint = (r: number, c: number, colour: HighlightColour): void => void (out[r]![c] = stronger(out[r]![c]!, colour));
  for (const rule of rules) {
    const c = columns.indexOf(rule.kpi);
    if (c < 0) continue;
    const judged = (r: number): boolean => !rule.channels || rule.channels.includes(rowChannels[r] ?? '');
    if (rule.apply === 'column') {
      if (totalRows.some((r) => judged(r) && breaches(rule, values[r]![c]!))) values.forEach((_, r) => paint(r, c, rule.colour));
      continue;
    }
    values.forEach((row, r) => {
      if (!judged(r)) return;
      if (!breaches(rule, row[c]!)) return;
      if (rule.apply === 'row') columns.forEach((_, cc) => paint(r, cc, rule.colour));
      else paint(r, c, rule.colour);
    });
  }
  return out;
}

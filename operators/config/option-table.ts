/**
 * The README's option tables, written from the schemas (operators/config/schema.ts): one row per
 * key that takes a value, with what it accepts, its default and its description. `npm run
 * docs:options` writes them into README.md between marker comments; a test fails when they differ.
 */
import type { TSchema } from '@sinclair/typebox';

interface Node {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  properties?: Record<string, Node>;
  patternProperties?: Record<string, Node>;
  additionalProperties?: boolean | Node;
  required?: string[];
  items?: Node;
  anyOf?: Node[];
  not?: Node;
}

export interface OptionRow {
  key: string;
  accepts: string;
  fallback: string;
  meaning: string;
}

/** The rows of one schema, keys prefixed with `prefix`. */
export function optionRows(schema: TSchema, prefix = ''): OptionRow[] {
  const rows: OptionRow[] = [];
  walk(schema as Node, prefix, true, rows);
  return rows;
}

function walk(node: Node, key: string, required: boolean, rows: OptionRow[]): void {
  const fields = node.properties;
  if (fields && Object.keys(fields).length > 0) {
    // A section that describes itself gets a row of its own before its keys' rows.
    if (node.description !== undefined && key) rows.push(row(node, key, required));
    for (const [name, child] of Object.entries(fields)) {
      walk(child, key ? `${key}.${name}` : name, (node.required ?? []).includes(name) && child.default === undefined, rows);
    }
    return;
  }
  const items = node.items;
  if (items?.properties && Object.keys(items.properties).length > 1) {
    rows.push(row(node, key, required));
    walk({ ...items, description: undefined }, `${key}[]`, true, rows);
    return;
  }
  const entries = node.patternProperties ? Object.values(node.patternProperties)[0] : undefined;
  if (entries?.properties) {
    walk(entries, `${key}.NAME`, true, rows);
    return;
  }
  rows.push(row(node, key, required));
}

function row(node: Node, key: string, required: boolean): OptionRow {
  return {
    key,
    accepts: accepts(node),
    fallback: node.default !== undefined ? code(node.default) : required ? 'required' : 'unset',
    meaning: node.description ?? '',
  };
}

function accepts(node: Node): string {
  if (node.not) return 'refused';
  if (node.const !== undefined) return code(node.const);
  if (node.enum) return node.enum.map(code).join(' \\| ');
  if (node.anyOf && node.type === undefined) return node.anyOf.map(accepts).join(' or ');
  if (node.pattern !== undefined && node.type === 'string') return node.pattern.includes('(ms|s|m|h|d|w|y)') ? 'duration' : 'text';
  if (node.type === 'array') return `list of ${node.items ? plural(accepts(node.items)) : 'values'}`;
  if (node.type === 'object') return 'mapping';
  if (node.type === 'integer' || node.type === 'number') return `${node.type === 'integer' ? 'integer' : 'number'}${range(node)}`;
  if (node.type === 'string') return 'text';
  if (node.type === 'boolean') return 'true \\| false';
  return 'any';
}

function plural(text: string): string {
  return text === 'text' ? 'texts' : text === 'duration' ? 'durations' : text === 'mapping' ? 'mappings' : text;
}

function range(node: Node): string {
  const low = node.minimum !== undefined ? `>= ${node.minimum}` : node.exclusiveMinimum !== undefined ? `> ${node.exclusiveMinimum}` : '';
  const finite = node.maximum !== undefined && node.maximum < Number.MAX_VALUE;
  const high = finite ? `<= ${node.maximum}` : node.exclusiveMaximum !== undefined ? `< ${node.exclusiveMaximum}` : '';
  return low || high ? ` ${[low, high].filter(Boolean).join(', ')}` : '';
}

function code(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `\`${text.replaceAll('|', '\\|')}\``;
}

/** A Markdown table of rows. */
export function markdownTable(rows: readonly OptionRow[]): string {
  const cell = (text: string): string => text.replaceAll('\n', ' ').replaceAll('|', '\\|');
  return [
    '| key | accepts | default | meaning |',
    '|---|---|---|---|',
    ...rows.map((r) => `| \`${r.key}\` | ${r.accepts} | ${r.fallback} | ${cell(r.meaning)} |`),
  ].join('\n');
}

/** `text` with the part between `<!-- options:NAME -->` and `<!-- /options:NAME -->` replaced by `body`. */
export function replaceBetweenMarkers(text: string, name: string, body: string): string {
  const open = `<!-- options:${name} -->`;
  const close = `<!-- /options:${name} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`README.md has no ${open} ... ${close} markers`);
  return `${text.slice(0, start + open.length)}\n${body}\n${text.slice(end)}`;
}

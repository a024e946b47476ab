/**
 * `npm run docs:options`: writes the job-file option tables from the schemas, between
 * `<!-- options:NAME -->` markers: in README.md `job` (the job file) and one per operator type, in
 * sinks/alerts/README.md `alerting` (the job's `alerting:` section). The README test
 * (test/pipelines/option-docs.test.ts) fails when a file differs from what this would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { markdownTable, optionRows, replaceBetweenMarkers, type OptionRow } from '../operators/config/option-table.js';
import { ALERTING_SCHEMA } from '../sinks/alerts/config.js';
import { RECEIVER_SCHEMAS } from '../sinks/alerts/receiver-config.js';
import { ROUTE_SCHEMA } from '../sinks/alerts/routing/config.js';
import { JOB_SCHEMA } from './job-schema.js';
import { OPERATOR_FACTORIES } from './registry.js';
import { SOURCE_TYPES } from './source-binding.js';

/** The tables of README.md by marker name. */
function readmeTables(): Map<string, string> {
  const job = optionRows(JOB_SCHEMA).flatMap((row) =>
    // Each source type has its own schema: its rows stand where the generic `sources` row would.
    row.key.startsWith('sources.') ? [...SOURCE_TYPES.values()].flatMap((spec) => optionRows(spec.schema, 'sources.NAME')) : [row],
  );
  const tables = new Map([['job', markdownTable(job)]]);
  for (const factory of OPERATOR_FACTORIES.values()) {
    tables.set(`operator:${factory.type}`, markdownTable(optionRows(factory.schema).filter((row) => row.key !== 'type' && row.key !== 'name')));
  }
  return tables;
}

/** The `alerting:` section: each receiver type's keys after its `type` row, and the route tree's keys. */
function alertingRows(): OptionRow[] {
  const receivers = Object.values(RECEIVER_SCHEMAS).map((schema) => optionRows(schema, 'receivers[]'));
  const name = (receivers[0] ?? []).filter((row) => row.key === 'receivers[].name');
  // Every type has `name`: shown once. The email schema's own description is its cross-key rule, not a key.
  const byType = receivers.flat().filter((row) => row.key !== 'receivers[].name' && row.key !== 'receivers[]');
  return optionRows(ALERTING_SCHEMA).flatMap((row) => {
    if (row.key === 'receivers') return [row, ...name, ...byType];
    if (row.key === 'route') return optionRows(ROUTE_SCHEMA, 'route');
    return [row];
  });
}

/** The generated tables of each file (path from the repository root), by marker name. */
export function optionTables(): Map<string, Map<string, string>> {
  return new Map([
    ['README.md', readmeTables()],
    ['sinks/alerts/README.md', new Map([['alerting', markdownTable(alertingRows())]])],
  ]);
}

/** A file's text with each of its tables written anew. */
export function withOptionTables(text: string, tables: ReadonlyMap<string, string>): string {
  let out = text;
  for (const [name, table] of tables) out = replaceBetweenMarkers(out, name, table);
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Paths are relative to the repository root, where npm runs scripts.
  for (const [path, tables] of optionTables()) {
    writeFileSync(path, withOptionTables(readFileSync(path, 'utf8'), tables));
    console.log(`wrote the option tables of ${path}`);
  }
}

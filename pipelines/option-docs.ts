/**
 * `npm run docs:options`: writes the job-file option tables of README.md from the schemas, between
 * `<!-- options:NAME -->` markers: `job` (the job file) and one per operator type. The README test
 * (test/pipelines/option-docs.test.ts) fails when README.md differs from what this would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { markdownTable, optionRows, replaceBetweenMarkers } from '../operators/config/option-table.js';
import { JOB_SCHEMA } from './job-schema.js';
import { OPERATOR_FACTORIES } from './registry.js';
import { SOURCE_TYPES } from './source-binding.js';

/** The tables by marker name. */
export function optionTables(): Map<string, string> {
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

/** README text with every table written anew. */
export function withOptionTables(readme: string): string {
  let text = readme;
  for (const [name, table] of optionTables()) text = replaceBetweenMarkers(text, name, table);
  return text;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const path = process.argv[2] ?? 'README.md';
  writeFileSync(path, withOptionTables(readFileSync(path, 'utf8')));
  console.log(`wrote the option tables of ${path}`);
}

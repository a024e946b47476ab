/**
 * `pulse reasons import|export|versions --db PATH`: the contact-reason taxonomy as YAML
 * (operators/reason-taxonomy.ts), kept in versions (sinks/taxonomy). Managers edit it on the
 * console too; every import or edit adds a version.
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { UsageError } from '../../operators/errors.js';
import { parseTaxonomyYaml, taxonomyToYaml } from '../../operators/reason-taxonomy.js';
import { saveTaxonomyVersion, taxonomyVersion, taxonomyVersions } from '../../sinks/taxonomy/store.js';
import { defaultActor, positiveInteger } from './people-options.js';
import type { OpenDatabase } from './database-access.js';

export function reasonsCommand(open: OpenDatabase, io: { write: (text: string) => void; now?: () => number }): Command {
  const now = io.now ?? Date.now;
  const reasons = new Command('reasons').description('the contact-reason taxonomy: import, export and list its versions').exitOverride();

  reasons
    .command('import')
    .description('check a YAML reason list and save it as the next (active) version')
    .requiredOption('--file <path>', 'YAML file: reasons: [{code, label, category, status, channel_codes, merged_into}]')
    .requiredOption('--db <path>', 'DuckDB database file of the job')
    .option('--comment <text>', 'why this version', 'imported')
    .option('--actor <name>', 'who imports it (default: $USER)')
    .exitOverride()
    .action(async (options: { file: string; db: string; comment: string; actor?: string }) => {
      const text = await readFile(options.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot read --file ${options.file}: ${error.code ?? error.message}`);
      });
      const taxonomy = parseTaxonomyYaml(text, options.file);
      const opened = await open(options.db);
      try {
        const version = await saveTaxonomyVersion(
          opened.connection,
          taxonomy,
          { actor: options.actor ?? defaultActor(process.env), at: now() },
          options.comment,
        );
        io.write(`saved reason list version ${version} (${taxonomy.reasons.length} reasons)\n`);
      } finally {
        await opened.close();
      }
    });

  reasons
    .command('export')
    .description('print a version of the reason list as YAML (default: the active one)')
    .requiredOption('--db <path>', 'DuckDB database file of the job')
    .option('--version <n>', 'which version', positiveInteger)
    .exitOverride()
    .action(async (options: { db: string; version?: number }) => {
      const opened = await open(options.db);
      try {
        const found = await taxonomyVersion(opened.connection, options.version);
        if (found === undefined) {
          throw new UsageError(
            options.version === undefined ? 'there is no reason list yet: import one with pulse reasons import' : `there is no version ${options.version}`,
          );
        }
        io.write(`# reason list version ${found.version}, saved by ${found.created_by}: ${found.comment}\n${taxonomyToYaml(found.taxonomy)}`);
      } finally {
        await opened.close();
      }
    });

  reasons
    .command('versions')
    .description('list the versions of the reason list, newest (active) first')
    .requiredOption('--db <path>', 'DuckDB database file of the job')
    .exitOverride()
    .action(async (options: { db: string }) => {
      const opened = await open(options.db);
      try {
        for (const v of await taxonomyVersions(opened.connection)) {
          io.write(`${v.version}\t${new Date(v.created_at).toISOString()}\t${v.created_by}\t${v.comment}\n`);
        }
      } finally {
        await opened.close();
      }
    });
  return reasons;
}

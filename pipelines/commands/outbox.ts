import { Command, Option } from 'commander';
import { OUTBOX_STATUSES, listOutbox, retryDead, type OutboxStatus } from '../../sinks/alerts/outbox-admin.js';
import { renderTable } from '../../sinks/cases/format.js';
import type { OpenDatabase } from './database-access.js';


const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 19).replace('T', ' '));

/** `pulse outbox list|retry`: see and requeue alert deliveries, dead ones in particular. */
export function outboxCommand(openDatabase: OpenDatabase, write: (text: string) => void = (text) => void process.stdout.write(text)): Command {
  const command = new Command('outbox').description('alert deliveries in the outbox: list them, requeue dead ones').exitOverride();

  command
    .command('list')
    .description('list deliveries, newest first')
    .requiredOption('--db <path>', 'the job database')
    .addOption(new Option('--status <status>', 'only this delivery state').choices([...OUTBOX_STATUSES]))
    .option('--receiver <name>', 'only this receiver')
    .option('--limit <n>', 'at most this many rows', (v) => Number.parseInt(v, 10), 100)
    .option('--json', 'one JSON object per line instead of a table')
    .exitOverride()
    .action(async (options: { db: string; status?: OutboxStatus; receiver?: string; limit: number; json?: boolean }) => {
      const { connection, close } = await openDatabase(options.db);
      try {
        const rows = await listOutbox(connection, options);
        if (options.json) {
          write(rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
          return;
        }
        write(
          renderTable(
            ['ALERT', 'ALERT STATUS', 'RECEIVER', 'DELIVERY', 'ATTEMPTS', 'CREATED (UTC)', 'DELIVERED (UTC)', 'LAST ERROR'],
            rows.map((r) => [r.alert_id.slice(0, 16), r.alert_status, r.receiver, r.status, String(r.attempts), iso(r.created_at), iso(r.delivered_at), r.last_error ?? '-']),
          ),
        );
      } finally {
        await close();
      }
    });

  command
    .command('retry')
    .description('requeue dead deliveries (all, one alert, or one receiver); the next pulse run sends them')
    .requiredOption('--db <path>', 'the job database')
    .option('--alert-id <id>', 'only this alert')
    .option('--receiver <name>', 'only this receiver')
    .exitOverride()
    .action(async (options: { db: string; alertId?: string; receiver?: string }) => {
      const { connection, close } = await openDatabase(options.db);
      try {
        const count = await retryDead(connection, options, Date.now());
        write(`requeued ${count} dead deliver${count === 1 ? 'y' : 'ies'}\n`);
      } finally {
        await close();
      }
    });
  return command;
}

import { requireKnownValue } from '../../sinks/reports/lookup.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import { SinkError, UsageError } from '../../operators/errors.js';
import { positiveDuration } from '../../operators/duration.js';
import { OUTBOX_STATUSES, listOutbox, retryDead, type OutboxStatus } from '../../sinks/alerts/outbox-admin.js';
import { lastError, type DrainResult } from '../../sinks/alerts/worker.js';
import { renderTable } from '../../sinks/terminal-text.js';
import type { OpenDatabase, OpenOutboxSender } from './database-access.js';

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 19).replace('T', ' '));

function duration(value: string): number {
  const ms = positiveDuration(value);
  if (ms === null) throw new InvalidArgumentError(`'${value}' is not a duration like 30s, 5m or 1h`);
  return ms;
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** What `pulse outbox send` did, in one line per fact. */
export function formatSendResult(requeued: number, result: DrainResult): string {
  const lines = [
    `requeued ${plural(requeued, 'dead delivery', 'dead deliveries')}`,
    `delivered ${plural(result.delivered, 'delivery', 'deliveries')} in ${plural(result.sent, 'notification', 'notifications')}`,
  ];
  if (result.muted > 0) lines.push(`muted ${plural(result.muted, 'delivery', 'deliveries')} (silenced or inhibited)`);
  if (result.dead > 0) lines.push(`${plural(result.dead, 'notification', 'notifications')} refused for good (dead): see pulse outbox list --status dead`);
  const pending = Object.entries(result.pendingByReceiver);
  if (pending.length > 0) {
    lines.push(`still pending: ${pending.map(([name, n]) => `${name} ${n}${lastError(result, name)}`).join('; ')} (see pulse outbox list --status pending)`);
  }
  return lines.join('\n') + '\n';
}

/** `pulse outbox list|retry|send`: see, requeue and send alert deliveries. */
export function outboxCommand(
  openDatabase: OpenDatabase,
  openOutboxSender: OpenOutboxSender,
  write: (text: string) => void = (text) => void process.stdout.write(text),
): Command {
  const command = new Command('outbox').description('alert deliveries in the outbox: list them, requeue dead ones, send them now').exitOverride();

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
            rows.map((r) => [
              r.alert_id.slice(0, 16),
              r.alert_status,
              r.receiver,
              r.status,
              String(r.attempts),
              iso(r.created_at),
              iso(r.delivered_at),
              r.last_error ?? '-',
            ]),
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
        // Nothing requeued because no delivery has that receiver: say so, with the close matches.
        if (count === 0 && options.receiver !== undefined) {
          await requireKnownValue(connection, { table: 'pulse_outbox', column: 'receiver', value: options.receiver, option: '--receiver', what: 'receiver' });
        }
        write(`requeued ${count} dead deliver${count === 1 ? 'y' : 'ies'}\n`);
      } finally {
        await close();
      }
    });

  command
    .command('send')
    .description('send pending and dead deliveries now, until none is pending or --timeout passes; exits 1 if any is left undelivered')
    .requiredOption('--db <path>', 'the job database')
    .option(
      '--config <file>',
      'the job YAML whose alerting section defines the receivers (not needed when a running job holds the database: it sends with its own)',
    )
    .option('--receiver <name>', 'only this receiver')
    .option('--timeout <duration>', 'stop waiting for retries after this long (default: alerting.delivery.drain_timeout, 30s)', duration)
    .exitOverride()
    .action(async (options: { db: string; config?: string; receiver?: string; timeout?: number }) => {
      const sender = await openOutboxSender(options.db, options.config);
      try {
        const receiver = options.receiver;
        if (receiver !== undefined && !sender.receiverNames.includes(receiver)) {
          throw new UsageError(`--receiver ${receiver}: no such receiver; the job's receivers are ${sender.receiverNames.join(', ')}`);
        }
        const filter = receiver === undefined ? {} : { receiver };
        const requeued = await sender.requeueDead(filter);
        const result = await sender.drain({ ...filter, ...(options.timeout === undefined ? {} : { timeoutMs: options.timeout }) });
        write(formatSendResult(requeued, result));
        if (result.pending > 0 || result.dead > 0) {
          throw new SinkError(`not everything was delivered: ${result.pending} pending, ${result.dead} notification(s) dead (the outbox keeps them)`);
        }
      } finally {
        await sender.close();
      }
    });
  return command;
}

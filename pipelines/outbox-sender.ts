import { Registry } from 'prom-client';
import { UsageError } from '../operators/errors.js';
import { AlertDelivery } from './alert-delivery.js';
import type { OpenOutboxSender, OutboxSender } from './commands/database-access.js';
import { loadJobConfig } from './job-config.js';
import { createLogger } from './logger.js';
import { openDatabase } from './open-store.js';

/**
 * `pulse outbox send` from a shell: the receivers come from the `alerting` section of the job YAML
 * given with `--config`, and a delivery worker sends on its own connection to the database (a
 * running job holds the file; the command then runs inside that job, with the job's receivers).
 */
export const openOutboxSender: OpenOutboxSender = async (dbPath, configPath) => {
  // The database first: when a running job holds it, the command goes to that job (which needs no --config).
  const db = await openDatabase(dbPath);
  let delivery: AlertDelivery;
  try {
    if (configPath === undefined) {
      throw new UsageError('pulse outbox send needs --config JOB.yaml: the receivers to send to are defined in its alerting section');
    }
    const job = loadJobConfig(configPath);
    if (job.alerting === undefined) throw new UsageError(`${configPath} has no alerting section: there is no receiver to send to`);
    delivery = AlertDelivery.create(job.alerting, db.connection, new Registry(), createLogger());
  } catch (error) {
    db.close();
    throw error;
  }
  const sender: OutboxSender = {
    receiverNames: delivery.receiverNames,
    requeueDead: (filter) => delivery.requeueDead(filter),
    drain: (options) => delivery.drain(options),
    close: async () => {
      await delivery.close();
      db.close();
    },
  };
  return sender;
};

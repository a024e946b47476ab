import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, PulseError } from '../../operators/errors.js';
import { ConfigError, SinkError, SourceError, StoreLockedError, UsageError } from '../../operators/errors.js';
import { ContactKpiConfigError } from '../../operators/contact-kpis/options.js';
import { DriftConfigError, DriftInputError } from '../../operators/drift-statistics/errors.js';
import { ModelFileError } from '../../operators/intent/model.js';
import { PopulationDriftConfigError } from '../../operators/population-drift/options.js';
import { RoutingConfigError } from '../../sinks/alerts/routing/errors.js';
import { RuleValidationError } from '../../operators/rules/errors.js';
import { ServiceConfigError } from '../../operators/service/config.js';
import { ExpressionError } from '../../operators/service/expression.js';
import { ShiftConfigError } from '../../operators/shifts/config.js';
import { ShardWorkerError } from '../../pipelines/shards/pool.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exitCodeOf } from '../../pipelines/exit-codes.js';
import { statusCommand } from '../../pipelines/commands/status.js';
import { AlertingConfigError, DeliveryError } from '../../sinks/alerts/errors.js';
import { AmbiguousCaseIdError, CaseChangeError, CaseNotFoundError } from '../../sinks/cases/errors.js';
import { GeneratorConfigError } from '../../sources/generator/options.js';
import { ProduceError } from '../../sources/kafka/producer.js';

/** One instance of every error class the product throws, with the exit code SPEC section 2 asks for. */
const CASES: Array<[Error, number]> = [
  [new ConfigError('x'), EXIT_USAGE],
  [new UsageError('x'), EXIT_USAGE],
  [new SourceError('x'), EXIT_FAILURE],
  [new SinkError('x'), EXIT_FAILURE],
  [new StoreLockedError('db.duckdb'), EXIT_FAILURE],
  [new ContactKpiConfigError('window_sizes', 'x'), EXIT_USAGE],
  [new DriftConfigError('spend.ks', 'x'), EXIT_USAGE],
  [new DriftInputError('DRIFT_EMPTY_SAMPLE', 'x'), EXIT_FAILURE],
  [new ModelFileError('x'), EXIT_USAGE],
  [new PopulationDriftConfigError('reference', 'x'), EXIT_USAGE],
  [new RoutingConfigError('ROUTING_MATCHER_INVALID', 'alerting.route', 'x'), EXIT_USAGE],
  [new RuleValidationError([{ index: 0, rule: null, field: 'when', message: 'x' }]), EXIT_USAGE],
  [new ServiceConfigError('service.x', 'x'), EXIT_USAGE],
  [new ExpressionError('x', 1), EXIT_USAGE],
  [new ShiftConfigError('window', 'x'), EXIT_USAGE],
  [new ShardWorkerError('x'), EXIT_FAILURE],
  [new AlertingConfigError('alerting.receivers[0]', 'x'), EXIT_USAGE],
  [new DeliveryError('timeout', false, 'x'), EXIT_FAILURE],
  [new CaseNotFoundError('C1'), EXIT_USAGE],
  [new AmbiguousCaseIdError('C1', ['C1a', 'C1b']), EXIT_USAGE],
  [new CaseChangeError('x'), EXIT_USAGE],
  [new GeneratorConfigError('customers', 'x'), EXIT_USAGE],
  [new ProduceError('x', -1, false), EXIT_FAILURE],
];

describe('one error model', () => {
  it.each(CASES)('%s is a PulseError whose code is in ERROR_CODES', (error) => {
    expect(error).toBeInstanceOf(PulseError);
    expect(Object.keys(ERROR_CODES)).toContain((error as PulseError).code);
    expect(error.name).toBe(error.constructor.name);
  });

  it.each(CASES)('%s exits with the code of its kind and prints its message', (error, expected) => {
    const written: string[] = [];
    expect(exitCodeOf(error, (text) => written.push(text))).toBe(expected);
    expect(written.join('')).toBe(`pulse: ${error.message}\n`);
  });

  it('a retryable failure says so, a permanent delivery failure does not', () => {
    expect(new DeliveryError('http_5xx', false, 'x').retryable).toBe(true);
    expect(new DeliveryError('http_4xx', true, 'x').retryable).toBe(false);
    expect(new ProduceError('x', -1, true).retryable).toBe(true);
    expect(new SourceError('x', { retryable: true }).retryable).toBe(true);
    expect(new ConfigError('x').retryable).toBe(false);
  });

  it('an error that is not a PulseError is a bug: exit 1 with its stack; commander errors keep their meaning', () => {
    const written: string[] = [];
    expect(exitCodeOf(new TypeError('boom'), (text) => written.push(text))).toBe(EXIT_FAILURE);
    expect(written.join('')).toContain('TypeError: boom\n    at ');
    expect(exitCodeOf(new CommanderError(0, 'commander.helpDisplayed', ''), () => {})).toBe(EXIT_OK);
    expect(exitCodeOf(new CommanderError(1, 'commander.unknownOption', 'x'), () => {})).toBe(EXIT_USAGE);
  });

  it('pulse status without --db is a usage error (exit 2), like every other command', async () => {
    const error: unknown = await statusCommand({ write: () => undefined })
      .configureOutput({ writeErr: () => undefined })
      .parseAsync(['--json'], { from: 'user' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommanderError);
    expect(exitCodeOf(error, () => undefined)).toBe(EXIT_USAGE);
  });

  it('a file-system error on a path (an output directory without write permission) is a failure with the path and the problem, not a stack', () => {
    const written: string[] = [];
    const denied = Object.assign(new Error("EACCES: permission denied, open '/srv/reports/kpi.html'"), {
      code: 'EACCES',
      syscall: 'open',
      path: '/srv/reports/kpi.html',
    });
    expect(exitCodeOf(denied, (text) => written.push(text))).toBe(EXIT_FAILURE);
    expect(written.join('')).toBe('pulse: cannot open /srv/reports/kpi.html: EACCES (permission denied); check the path and its permissions\n');
    // Without a path it is not the person's path: a bug, with its stack.
    expect(exitCodeOf(Object.assign(new Error('EACCES'), { code: 'EACCES' }), () => {})).toBe(EXIT_FAILURE);
  });
});

import cliProgress from 'cli-progress';
import type { Logger } from 'pino';
import { noProgress, type RunProgress } from './run-context.js';

/**
 * Shows how a long run is going: a live line on a terminal, a structured log line every
 * `logEveryMs` otherwise (a CI log or a container must not fill with redraws).
 */
export class ProgressReporter {
  private readonly startedAt = Date.now();
  private lastLogAt = Date.now();
  private bar: cliProgress.SingleBar | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly interactive: boolean,
    private readonly logEveryMs = 10_000,
  ) {
    if (interactive) {
      this.bar = new cliProgress.SingleBar(
        {
          format: 'pulse | {records} records | {rate} ev/s | rejected {rejected} | watermark {watermark} | lag {lag}',
          hideCursor: true,
          clearOnComplete: false,
          fps: 4,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(1, 0, this.payload(noProgress()));
    }
  }

  update(progress: RunProgress): void {
    if (this.bar) {
      this.bar.update(0, this.payload(progress));
      return;
    }
    const now = Date.now();
    if (now - this.lastLogAt < this.logEveryMs) return;
    this.lastLogAt = now;
    this.logger.info(this.payload(progress), 'progress');
  }

  stop(): void {
    this.bar?.stop();
  }

  private payload(progress: RunProgress): Record<string, string | number> {
    const seconds = Math.max((Date.now() - this.startedAt) / 1000, 0.001);
    const finite = Number.isFinite(progress.watermark);
    return {
      records: progress.records,
      rejected: progress.rejected,
      rate: Math.round(progress.records / seconds),
      watermark: finite ? new Date(progress.watermark).toISOString() : '-',
      lag: finite ? `${Math.round((Date.now() - progress.watermark) / 1000)}s` : '-',
    };
  }
}

/**
 * A client that cannot reach its brokers reports the same error many times a second ("all broker
 * connections are down": hundreds in half a minute). This passes the first occurrence of each
 * warning on at once, counts the repeats, and passes on one summary per interval while they go
 * on. A warning that did not repeat for a whole interval is forgotten, so a new outage is reported
 * at once again.
 */
export type WarningSink = (message: string, cause?: unknown) => void;

export const WARNING_SUMMARY_INTERVAL_MS = 60_000;

interface Seen {
  message: string;
  cause: unknown;
  repeats: number;
}

export class RepeatedWarnings {
  private readonly seen = new Map<string, Seen>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sink: WarningSink,
    private readonly intervalMs: number = WARNING_SUMMARY_INTERVAL_MS,
  ) {}

  /** Reports a warning: at once the first time, else counted for the next summary. */
  warn(message: string, cause?: unknown): void {
    // Counts inside messages vary ("5 identical error(s) suppressed", "after 12ms"): not part of the key.
    const key = `${message}\u0000${causeText(cause)}`.replace(/[0-9]+/g, '#');
    const known = this.seen.get(key);
    if (known) {
      known.repeats++;
      known.cause = cause;
      return;
    }
    this.seen.set(key, { message, cause, repeats: 0 });
    this.sink(message, cause);
  }

  /** Passes on a summary of each warning that repeated since the last one; forgets those that did not. */
  summarize(): void {
    for (const [key, seen] of this.seen) {
      if (seen.repeats === 0) {
        this.seen.delete(key);
        continue;
      }
      this.sink(`${seen.message} (repeated ${seen.repeats} more time${seen.repeats === 1 ? '' : 's'} since last reported)`, seen.cause);
      seen.repeats = 0;
    }
  }

  /** Summarizes every interval until `stop()` (the timer does not keep the process alive). */
  start(): void {
    this.timer ??= setInterval(() => this.summarize(), this.intervalMs).unref();
  }

  /** Stops the timer and passes on what is still counted. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.summarize();
  }
}

function causeText(cause: unknown): string {
  if (cause === undefined || cause === null) return '';
  const e = cause as { code?: unknown; message?: unknown };
  return `${String(e.code ?? '')}:${String(e.message ?? cause)}`;
}

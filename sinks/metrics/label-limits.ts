/**
 * Bounds on label values that come from events (the contact-center gauges' `queue` and `channel`):
 * each distinct value is a time series, and a source with thousands of queue names would give
 * Prometheus tens of thousands. Values listed in `keep` always get their own series; beyond them
 * the first `max` other values seen by the process do; the rest are published as `other`.
 */
export interface LabelLimit {
  /** Values seen first that get their own series, besides `keep`. */
  max: number;
  /** Values that always get their own series. */
  keep: readonly string[];
}

export interface ContactLabelLimits {
  queue: LabelLimit;
  channel: LabelLimit;
}

/** The value under which everything beyond a label's limit is published. */
export const OTHER_LABEL_VALUE = 'other';

export const DEFAULT_LABEL_LIMITS: ContactLabelLimits = {
  queue: { max: 50, keep: [] },
  channel: { max: 10, keep: [] },
};

/** How many folded values each label remembers so as to count each once (memory stays bounded). */
const MAX_TRACKED_FOLDS = 10_000;

/** One label's values, admitted or folded into `other`; `onFold` is told of each value folded. */
export class BoundedLabel {
  private readonly keep: ReadonlySet<string>;
  private readonly admitted = new Set<string>();
  private readonly folded = new Set<string>();

  constructor(
    private readonly limit: LabelLimit,
    private readonly onFold: () => void,
  ) {
    this.keep = new Set(limit.keep);
  }

  /** The label value to publish for `value`. */
  value(value: string): string {
    if (this.keep.has(value) || this.admitted.has(value)) return value;
    if (this.admitted.size < this.limit.max && value !== OTHER_LABEL_VALUE) {
      this.admitted.add(value);
      return value;
    }
    if (!this.folded.has(value)) {
      // Past the tracking bound a value may be counted again: the counter still grows.
      if (this.folded.size < MAX_TRACKED_FOLDS) this.folded.add(value);
      this.onFold();
    }
    return OTHER_LABEL_VALUE;
  }
}

import type { ActiveTaxonomy } from '../operators/reason-mapping.js';
import { activeTaxonomyNumber, taxonomyVersion } from '../sinks/taxonomy/store.js';
import type { RunContext } from './run-context.js';

/**
 * Keeps the shards on the active reason list (sinks/taxonomy): a version saved with `pulse reasons
 * import` or on the console takes effect from the next checkpoint, without a restart.
 */
export class TaxonomyFollower {
  /** The list the shards map contact reasons with (none: as they arrive). */
  private taxonomy: ActiveTaxonomy | undefined;

  constructor(
    private readonly context: Pick<RunContext, 'store' | 'metrics' | 'logger'>,
    /** Hands a list to every shard. */
    private readonly apply: (taxonomy: ActiveTaxonomy | undefined) => Promise<void>,
  ) {}

  /** Hands the shards the active reason list when it is not the one they use. */
  async follow(): Promise<void> {
    const connection = this.context.store.connection;
    const newest = await activeTaxonomyNumber(connection);
    if (newest === this.taxonomy?.version) return;
    const saved = newest === undefined ? undefined : await taxonomyVersion(connection, newest);
    this.taxonomy = saved === undefined ? undefined : { version: saved.version, taxonomy: saved.taxonomy };
    await this.apply(this.taxonomy);
    if (this.taxonomy === undefined) return;
    this.context.metrics.reasonTaxonomyVersion.set(this.taxonomy.version);
    this.context.logger.info(
      { version: this.taxonomy.version, reasons: this.taxonomy.taxonomy.reasons.length },
      'contact reasons now mapped by this reason list version',
    );
  }
}

/**
 * Contacts count under the reason of the active taxonomy version (issue 15, item 3): each shard
 * rewrites an arriving contact's `reason` before any operator sees it, so contact KPIs, FCR, reason
 * volumes, the contact-reason drift feature and the service rules all use the mapped reason. The
 * runner hands the version over as data at checkpoints (this module never reads the database);
 * without one, codes pass through untouched and nothing is counted.
 */
import { NO_REASON, type PulseEvent } from './events.js';
import { reasonMapper, type MappedReason, type Taxonomy } from './reason-taxonomy.js';

/** A saved taxonomy version, as the runner hands it to the shards (plain data: it crosses threads). */
export interface ActiveTaxonomy {
  version: number;
  taxonomy: Taxonomy;
}

/** How often one (channel, code) the taxonomy does not know arrived since the last drain. */
export interface UnknownReasonCount {
  channel: string;
  code: string;
  count: number;
  /** Event times (epoch ms) of the first and last such contact. */
  first_seen: number;
  last_seen: number;
  /** The newest reason-list version the code was unknown to. */
  version: number;
}

export class ContactReasonMapping {
  private mapper: ((channel: string, code: string) => MappedReason) | undefined;
  private version = 0;
  private unknown = new Map<string, UnknownReasonCount>();

  /** Uses `taxonomy` for the contacts from now on (undefined: codes pass through). */
  use(taxonomy: ActiveTaxonomy | undefined): void {
    this.mapper = taxonomy === undefined ? undefined : reasonMapper(taxonomy.taxonomy);
    this.version = taxonomy?.version ?? 0;
  }

  /**
   * Rewrites a contact's reason in place and records the version that judged it; counts an
   * unknown code (which is kept as it arrived).
   */
  apply(event: PulseEvent): void {
    if (this.mapper === undefined || event.type !== 'contact') return;
    event.taxonomy_version = this.version;
    const mapped = this.mapper(event.channel, event.reason);
    if (mapped.known) {
      event.reason = mapped.reason;
      return;
    }
    // No reason is no code to add to the list.
    if (event.reason === NO_REASON) return;
    addCount(this.unknown, { channel: event.channel, code: event.reason, count: 1, first_seen: event.ts, last_seen: event.ts, version: this.version });
  }

  /** The unknown codes counted since the previous drain (for a checkpoint). */
  drainUnknown(): UnknownReasonCount[] {
    const counts = [...this.unknown.values()];
    this.unknown = new Map();
    return counts;
  }
}

/** Adds up the counts of several shards (a code can arrive for customers of every shard). */
export function mergeUnknownCounts(parts: ReadonlyArray<readonly UnknownReasonCount[]>): UnknownReasonCount[] {
  const merged = new Map<string, UnknownReasonCount>();
  for (const part of parts) for (const count of part) addCount(merged, count);
  return [...merged.values()];
}

function addCount(into: Map<string, UnknownReasonCount>, c: UnknownReasonCount): void {
  const key = `${c.channel}|${c.code}`;
  const seen = into.get(key);
  if (seen === undefined) {
    into.set(key, { ...c });
    return;
  }
  seen.count += c.count;
  seen.first_seen = Math.min(seen.first_seen, c.first_seen);
  seen.last_seen = Math.max(seen.last_seen, c.last_seen);
  seen.version = Math.max(seen.version, c.version);
}

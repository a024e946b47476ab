/** State names (stable across versions: they key persisted state) and state keys of the KPI operator. */
export const CONTACT_KPI_STATES = {
  windows: 'windows',
  fcr: 'fcr',
  latest: 'latest',
  meta: 'meta',
  ruleStatus: 'rule_status',
  ruleHistory: 'rule_history',
} as const;

export const MS_PER_DAY = 86_400_000;

/**
 * `JSON.stringify([size, start, queue, channel])`, the key persisted state is stored under. Built
 * from the queue and channel's JSON, kept once per pair: stringifying a fresh array took a tenth of
 * the KPI operator's time on a contact-heavy stream, where every contact asks for three keys.
 * Sizes and starts are integral milliseconds, which JSON writes as template strings do.
 */
export function windowKey(size: number, start: number, queue: string, channel: string): string {
  return `[${size},${start},${queueChannelJson(queue, channel)}]`;
}

/** `JSON.stringify([size, queue, channel])` (see windowKey). */
export function latestKey(size: number, queue: string, channel: string): string {
  return `[${size},${queueChannelJson(queue, channel)}]`;
}

/** Queue -> channel -> their JSON, comma-separated; started afresh beyond `MAX_QUEUES` queues (input decides them). */
const pairJson = new Map<string, Map<string, string>>();
const MAX_QUEUES = 10_000;

/**
 * `JSON.stringify(queue)` and `JSON.stringify(channel)`, comma-separated: the same string object for
 * a pair each time, so a map keyed by it hashes it once (local.ts).
 */
export function queueChannelJson(queue: string, channel: string): string {
  let byChannel = pairJson.get(queue);
  if (byChannel === undefined && pairJson.size >= MAX_QUEUES) pairJson.clear();
  if (byChannel === undefined) pairJson.set(queue, (byChannel = new Map()));
  let json = byChannel.get(channel);
  if (json === undefined) byChannel.set(channel, (json = `${JSON.stringify(queue)},${JSON.stringify(channel)}`));
  return json;
}

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

export function windowKey(size: number, start: number, queue: string, channel: string): string {
  return JSON.stringify([size, start, queue, channel]);
}

export function latestKey(size: number, queue: string, channel: string): string {
  return JSON.stringify([size, queue, channel]);
}

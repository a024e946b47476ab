/**
 * Commander's argument parser of a repeatable, comma-separated option (`--status open,escalated
 * --status closed`): every occurrence adds its trimmed, non-empty items to the list.
 */
export function collectList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  ];
}

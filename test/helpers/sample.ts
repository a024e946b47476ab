import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventDecoder } from '../../operators/decode.js';
import type { PulseEvent } from '../../operators/events.js';

/** The bundled sample's valid events in file (arrival) order, duplicates removed as the runner does. */
export function sampleEvents(): PulseEvent[] {
  const decoder = new EventDecoder();
  const seen = new Set<string>();
  const events: PulseEvent[] = [];
  for (const line of readFileSync(join(process.cwd(), 'samples/events.ndjson'), 'utf8').split('\n')) {
    if (!line) continue;
    const r = decoder.decode(line);
    if (!r.ok || seen.has(r.event.event_id)) continue;
    seen.add(r.event.event_id);
    events.push(r.event);
  }
  return events;
}

/**
 * A copy of the bundled sample in `dir`, for a run of the job: the rejects file of a file input is
 * written beside it (`<input>.rejects.ndjson`), and runs of concurrent test files must not share one
 * in samples/.
 */
export function sampleIn(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'events.ndjson');
  copyFileSync(join(process.cwd(), 'samples/events.ndjson'), path);
  return path;
}

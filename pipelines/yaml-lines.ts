/**
 * Where a key stands in a YAML document: the line of `event_time.allowed_lateness` or
 * `operators[2].windows[0].sise`, so that a configuration error can say `job.yaml:14`.
 */
import { isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';

/** `a.b[0] (name).c` -> ['a', 'b', 0, 'c'] (the ` (name)` of a list item is only for people). */
export function pathSegments(path: string): Array<string | number> {
  return [...path.matchAll(/\[(\d+)\](?: \([^)]*\))?|([^.[\]]+)/g)].map((m) => (m[1] !== undefined ? Number(m[1]) : m[2]!));
}

/**
 * The 1-based line of the deepest part of `segments` the document has: the key itself when it is
 * there, else (a missing key) the mapping that lacks it. Undefined when nothing of it is found.
 */
export function lineOf(document: Document, lineCounter: LineCounter, segments: ReadonlyArray<string | number>): number | undefined {
  let node: unknown = document.contents;
  let offset: number | undefined;
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      offset = (pair.key as { range?: [number, number, number] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      node = node.items[segment];
      offset = (node as { range?: [number, number, number] }).range?.[0] ?? offset;
    } else break;
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ChunkWriter } from './chunk-writer.js';
import { EmitBuffer, TAG_DUPLICATE, TAG_LATE, TAG_MALFORMED } from './emit-buffer.js';
import { MALFORMED_KINDS } from './malformed.js';
import { resolveOptions } from './options.js';
import type { GenerateOptions, GenerateResult } from './options.js';
import { buildPopulation } from './population.js';
import { Rng } from './rng.js';
import { Simulator } from './simulator.js';
import { buildTruth } from './truth.js';
import type { LineLists } from './truth.js';

/**
 * `pulse generate`: simulates the customers day by day, writes the records in delivery order
 * (NDJSON) and then the ground truth. The same options always give byte-identical output.
 */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const o = resolveOptions(options);
  const rng = new Rng(o.seed);
  const population = buildPopulation(rng, o.customers, o.days, o.startMs, o.shiftShare, o.drift);
  const buffer = new EmitBuffer(o.startMs);
  const sim = new Simulator(o, rng, population, buffer);

  const toStdout = o.out === '-';
  if (!toStdout) await mkdir(dirname(o.out), { recursive: true });
  const stream = toStdout ? process.stdout : createWriteStream(o.out, { highWaterMark: 1 << 20 });
  const writer = new ChunkWriter(stream, !toStdout);
  const lists: LineLists = { duplicateLines: [], lateLines: [], malformedLines: [] };

  const writeDay = async (day: number): Promise<void> => {
    const { lines, tags } = buffer.take(day);
    for (let i = 0; i < lines.length; i++) {
      writer.add(lines[i] as string);
      const tag = tags[i] as number;
      if (tag !== 0) {
        if (tag === TAG_DUPLICATE) lists.duplicateLines.push(writer.lines);
        else if (tag === TAG_LATE) lists.lateLines.push(writer.lines);
        else lists.malformedLines.push({ line: writer.lines, kind: MALFORMED_KINDS[tag - TAG_MALFORMED] as string });
      }
      if (writer.full) {
        await writer.flush();
        o.onProgress?.(writer.lines);
      }
    }
  };

  try {
    for (let d = 0; d < o.days; d++) {
      sim.simulateDay(d);
      await writeDay(d);
    }
    // Late deliveries past the period's end.
    for (const day of buffer.pendingDays()) await writeDay(day);
    await writer.close();
  } catch (err) {
    if (!toStdout) stream.destroy();
    throw err;
  } finally {
    writer.dispose();
  }
  o.onProgress?.(writer.lines);

  const truth = buildTruth(o, population, sim.counts, lists, writer.lines);
  if (sim.patterns) truth['behaviour_patterns'] = sim.patterns.truth(population.ids);
  if (sim.intentTexts) truth['intent_texts'] = { wording: 'held-out part of the intent corpus', contacts: sim.intentTexts.truth };
  await mkdir(dirname(o.truthPath), { recursive: true });
  await writeFile(o.truthPath, `${JSON.stringify(truth, null, 2)}\n`);
  const c = sim.counts;
  return {
    events: Object.values(c.byType).reduce((a, b) => a + b, 0),
    malformed: c.malformedByKind.reduce((a, b) => a + b, 0),
    duplicates: c.duplicates,
    late: c.late,
    groundTruthPath: o.truthPath,
    lines: writer.lines,
  };
}

/**
 * The labels file of `pulse intent train|eval`: JSON lines with `text` (string), `intent` (string)
 * and an optional `sentiment`; other fields are ignored. Blank lines are skipped. Every problem is
 * collected with its line number, so a person fixes a file in one pass.
 */
import { ConfigError } from '../errors.js';
import type { LabelledExample } from './train.js';

const MAX_REPORTED = 10;

export function parseLabels(content: string, source: string): LabelledExample[] {
  const examples: LabelledExample[] = [];
  const problems: string[] = [];
  content.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${source}:${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      problems.push(`${where}: not valid JSON`);
      return;
    }
    const record = row as Record<string, unknown>;
    if (typeof row !== 'object' || row === null || Array.isArray(row)) problems.push(`${where}: expected a JSON object`);
    else if (typeof record['text'] !== 'string' || record['text'].trim() === '') problems.push(`${where}: field 'text' must be a non-empty string`);
    else if (typeof record['intent'] !== 'string' || record['intent'].trim() === '') problems.push(`${where}: field 'intent' must be a non-empty string`);
    else examples.push({ text: record['text'], intent: record['intent'] });
  });
  if (problems.length > 0) {
    const more = problems.length > MAX_REPORTED ? `\n... and ${problems.length - MAX_REPORTED} more` : '';
    throw new ConfigError(
      `labels file has ${problems.length} bad line(s); each line needs {"text": "...", "intent": "..."}:\n${problems.slice(0, MAX_REPORTED).join('\n')}${more}`,
    );
  }
  if (examples.length === 0) throw new ConfigError(`${source}: no labelled texts`);
  return examples;
}

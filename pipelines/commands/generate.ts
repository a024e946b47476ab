import { generate, type GenerateOptions, type GenerateResult } from '../../sources/generator/index.js';

export interface GenerateCommandOptions {
  out: string;
  customers: number;
  days: number;
  seed: number;
  start?: string;
  truth?: string;
  intentTexts?: boolean;
  /** Behaviour patterns (`--patterns weekend,gaps`). */
  patterns?: GenerateOptions['patterns'];
}

/** `pulse generate`: realistic synthetic events plus the ground truth of what was injected. */
export async function generateCommand(options: GenerateCommandOptions): Promise<GenerateResult> {
  const result = await generate({
    out: options.out,
    customers: options.customers,
    days: options.days,
    seed: options.seed,
    ...(options.start ? { start: options.start } : {}),
    ...(options.truth ? { truthPath: options.truth } : {}),
    ...(options.intentTexts ? { intentTexts: true } : {}),
    ...(options.patterns ? { patterns: options.patterns } : {}),
  });
  process.stderr.write(
    `wrote ${result.events} events (${result.malformed} malformed, ${result.duplicates} duplicates, ` +
      `${result.late} late) to ${options.out}; ground truth in ${result.groundTruthPath}\n`,
  );
  return result;
}

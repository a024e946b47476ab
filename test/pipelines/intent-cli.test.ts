import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const CLI = join(process.cwd(), 'dist/pipelines/cli.js');
const pulse = (args: string[], input?: string) => spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', timeout: 120_000 });

describe('pulse intent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-intent-cli-'));
  const labels = join(dir, 'labels.jsonl');
  const rows = [
    ...Array.from({ length: 25 }, (_, i) => ({ text: `please cancel my contract number ${i}`, intent: 'retention_risk' })),
    ...Array.from({ length: 25 }, (_, i) => ({ text: `add a second line to plan ${i}`, intent: 'upsell_cross_sell', sentiment: 'neutral' })),
  ];
  writeFileSync(labels, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

  test('train writes a versioned model; the same seed gives the same weights', () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    for (const out of [a, b]) {
      const run = pulse(['intent', 'train', '--labels', labels, '--out', out, '--seed', '5']);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).toContain(`trained on 50 texts (upsell_cross_sell, retention_risk); model written to ${out}`);
    }
    const [ma, mb] = [a, b].map((f) => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>);
    expect(ma!['format']).toBe('customer-pulse/intent-model');
    expect(ma!['format_version']).toBe(1);
    expect(ma!['weights']).toBe(mb!['weights']);
    expect((ma!['training'] as Record<string, unknown>)['labels_sha256']).toMatch(/^[0-9a-f]{64}$/);
  }, 120_000);

  test('eval prints per-class figures and the confusion matrix; --json gives the same counts', () => {
    const model = join(dir, 'm.json');
    expect(pulse(['intent', 'train', '--labels', labels, '--out', model]).status).toBe(0);
    // Two texts of each intent, one of them deliberately labelled against the model.
    const evalFile = join(dir, 'eval.jsonl');
    writeFileSync(
      evalFile,
      [
        { text: 'cancel my contract please', intent: 'retention_risk' },
        { text: 'please cancel the contract', intent: 'upsell_cross_sell' },
        { text: 'add a second line', intent: 'upsell_cross_sell' },
        { text: 'add another line to the plan', intent: 'upsell_cross_sell' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const text = pulse(['intent', 'eval', '--labels', evalFile, '--model', model]);
    expect(text.status, text.stderr).toBe(0);
    // upsell: 2 of 3 found, both predictions right; retention: 1 of 1, 1 of 2 predictions right.
    expect(text.stdout).toMatch(/^upsell_cross_sell\s+1\.000\s+0\.667\s+0\.800\s+3$/m);
    expect(text.stdout).toMatch(/^retention_risk\s+0\.500\s+1\.000\s+0\.667\s+1$/m);
    expect(text.stdout).toContain('accuracy 0.750');
    const json = JSON.parse(pulse(['intent', 'eval', '--labels', evalFile, '--model', model, '--json']).stdout) as { confusion: number[][] };
    expect(json.confusion).toEqual([
      [2, 1],
      [0, 1],
    ]);
    // A text without a word to go by is a miss, its row and column named (they were blank).
    writeFileSync(
      evalFile,
      JSON.stringify({ text: '\u{1F44D}', intent: 'other' }) + '\n' + JSON.stringify({ text: 'add a line', intent: 'upsell_cross_sell' }),
    );
    const noWords = pulse(['intent', 'eval', '--labels', evalFile, '--model', model]);
    expect(noWords.status, noWords.stderr).toBe(0);
    expect(noWords.stdout).toMatch(/^\(no words\)\s+0\.000\s+0\.000\s+0\.000\s+0$/m);
  }, 120_000);

  test('classify keeps other fields, adds intent, confidence and sentiment, and names bad lines', () => {
    const input = '{"id":7,"text":"I am not happy, cancel my contract"}\nnot json\n{"id":8}\n{"id":9,"text":"  \\ud83d\\ude00 "}\n';
    const run = pulse(['intent', 'classify'], input);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('stdin line 2: not a JSON object');
    const out = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toHaveLength(3);
    expect(out[0]).toMatchObject({ id: 7, intent: 'retention_risk', sentiment: 'negative', sentiment_score: -4 }); // not happy -3, cancel -1
    expect(out[0]!['intent_confidence']).toBeGreaterThan(0.5);
    expect(out[1]).toMatchObject({ id: 8, intent: null, intent_error: "no string field 'text'" });
    // Spaces and an emoji: no word to go by, so no intent (the biases alone named one).
    expect(out[2]).toMatchObject({ id: 9, intent: null, intent_confidence: null, intent_error: 'no words to classify (empty, spaces or symbols only)' });
  }, 120_000);

  test('a bad labels file is exit 2 with the line named', () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"text":"x"}\n');
    const run = pulse(['intent', 'train', '--labels', bad]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${bad}:1: field 'intent' must be a non-empty string`);
  }, 120_000);
});

import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../../operators/errors.js';
import { IntentClassifier, loadModelFile, parseModel, MODEL_FORMAT } from '../../../operators/intent/model.js';

describe('model files', () => {
  test('the bundled model loads and knows the five intents', () => {
    const model = loadModelFile();
    expect(model.labels).toEqual(['new_sale', 'upsell_cross_sell', 'retention_risk', 'service_issue', 'other']);
    const c = new IntentClassifier(model);
    expect(c.classify("I'm switching to Verizon, cancel my contract")?.intent).toBe('retention_risk');
  });

  test.each([
    ['{', /m\.json: not a model file \(invalid JSON/],
    ['{"format":"x"}', /not an intent model \(format is "x"/],
    [`{"format":"${MODEL_FORMAT}","format_version":99}`, /format version 99 is not supported .* retrain with pulse intent train/],
    [`{"format":"${MODEL_FORMAT}","format_version":1,"labels":["a","b"],"buckets":4,"bias":[0,0],"weights":"AAAA"}`, /expected 8 float32 values, found 0\.75/],
  ])('a bad model file is a configuration error naming the file: %s', (text, message) => {
    expect(() => parseModel(text, 'm.json')).toThrow(message);
    expect(() => parseModel(text, 'm.json')).toThrow(ConfigError);
  });

  test('a missing file says how to make one', () => {
    expect(() => loadModelFile('/nonexistent/model.json')).toThrow(
      /cannot read the intent model .* pulse intent train --labels FILE --out \/nonexistent\/model\.json/,
    );
  });
});

describe('the bundled model', () => {
  test('repeating words changes neither the intent nor its confidence: filler through a long transcript does not outweigh the request', () => {
    const c = new IntentClassifier(loadModelFile());
    const request = 'Customer: so yeah I want to cancel my contract, I am moving to another provider';
    const transcript = (fillers: number): string =>
      [...Array.from({ length: fillers }, () => 'Agent: let me check that for you, one moment\nCustomer: yeah okay yeah'), request].join('\n');
    const once = c.classify(transcript(1))!;
    expect(once.intent).toBe('retention_risk');
    // Counted per occurrence, 30 and 60 fillers made this new_sale at 0.70 and 0.87.
    for (const fillers of [2, 30, 60, 600]) expect(c.classify(transcript(fillers))).toEqual(once);
    // A word repeated a thousand times counts as it does twice (once, and once after itself).
    expect(c.classify(`${'blah '.repeat(1000)}I want to cancel my contract.`)).toEqual(c.classify('blah blah I want to cancel my contract.'));
  });

  test('is what the default training gives on the committed training part (retrain after changing the corpus)', async () => {
    const { readFileSync } = await import('node:fs');
    const { parseLabels } = await import('../../../operators/intent/labels.js');
    const { trainIntentModel } = await import('../../../operators/intent/train.js');
    const examples = parseLabels(readFileSync('operators/intent/corpus/train.jsonl', 'utf8'), 'train.jsonl');
    const fresh = trainIntentModel(examples);
    const bundled = loadModelFile();
    expect(Buffer.from(fresh.weights.buffer).equals(Buffer.from(bundled.weights.buffer))).toBe(true);
    expect(Array.from(fresh.bias)).toEqual(Array.from(bundled.bias));
  }, 120_000);
});

import { describe, expect, test } from 'vitest';
import { parseLabels } from '../../../operators/intent/labels.js';

describe('labels file', () => {
  test('reads text and intent, ignores other fields and blank lines', () => {
    const rows = parseLabels('{"text":"cancel please","intent":"retention_risk","sentiment":"negative","id":1}\n\n{"text":"hi","intent":"other"}\n', 'l.jsonl');
    expect(rows).toEqual([
      { text: 'cancel please', intent: 'retention_risk' },
      { text: 'hi', intent: 'other' },
    ]);
  });

  test('every bad line is named with file and line number', () => {
    const bad = '{"text":"ok","intent":"other"}\nnot json\n{"intent":"other"}\n{"text":"x","intent":""}\n[1]';
    expect(() => parseLabels(bad, 'l.jsonl')).toThrow(
      /4 bad line\(s\)[\s\S]*l\.jsonl:2: not valid JSON\nl\.jsonl:3: field 'text' must be a non-empty string\nl\.jsonl:4: field 'intent'[\s\S]*l\.jsonl:5: expected a JSON object/,
    );
  });

  test('an empty file is refused', () => {
    expect(() => parseLabels('\n', 'empty.jsonl')).toThrow(/empty\.jsonl: no labelled texts/);
  });
});

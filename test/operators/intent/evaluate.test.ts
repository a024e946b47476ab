import { describe, expect, test } from 'vitest';
import { evaluatePredictions, formatEvaluation } from '../../../operators/intent/evaluate.js';

describe('evaluation figures (hand-computed)', () => {
  // truth    a a a b b c
  // predicted a a b b c c
  // confusion (rows true, columns predicted): a [2 1 0], b [0 1 1], c [0 0 1]
  const e = evaluatePredictions(['a', 'b', 'c'], ['a', 'a', 'a', 'b', 'b', 'c'], ['a', 'a', 'b', 'b', 'c', 'c']);

  test('confusion matrix', () => {
    expect(e.confusion).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
  });

  test('precision, recall, F1 per class', () => {
    const [a, b, c] = e.perClass;
    expect(a).toMatchObject({ label: 'a', precision: 1, support: 3 });
    expect(a!.recall).toBeCloseTo(2 / 3, 12);
    expect(a!.f1).toBeCloseTo(0.8, 12); // 2 * 1 * 2/3 / (5/3)
    expect(b).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(c).toMatchObject({ precision: 0.5, recall: 1, support: 1 });
    expect(c!.f1).toBeCloseTo(2 / 3, 12);
  });

  test('accuracy and macro-F1', () => {
    expect(e.accuracy).toBeCloseTo(4 / 6, 12);
    expect(e.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
  });

  test('a class never predicted has precision 0 and F1 0, not NaN', () => {
    const never = evaluatePredictions(['x', 'y'], ['x', 'y', 'y'], ['x', 'x', 'x']);
    expect(never.perClass[1]).toEqual({ label: 'y', precision: 0, recall: 0, f1: 0, support: 2 });
    expect(never.perClass[0]!.precision).toBeCloseTo(1 / 3, 12);
    expect(never.macroF1).toBeCloseTo(0.25, 12); // (0.5 + 0) / 2
  });

  test('a predicted label outside the model labels gets a row and a column', () => {
    const odd = evaluatePredictions(['x'], ['x', 'x'], ['x', 'z']);
    expect(odd.labels).toEqual(['x', 'z']);
    expect(odd.confusion).toEqual([
      [1, 1],
      [0, 0],
    ]);
    expect(odd.macroF1).toBeCloseTo(2 / 3, 12); // z has no support and is left out of the mean
  });

  test('the printed table carries the figures and the matrix', () => {
    const text = formatEvaluation(e);
    expect(text).toMatch(/^a\s+1\.000\s+0\.667\s+0\.800\s+3$/m);
    expect(text).toContain('macro-F1 0.656');
    expect(text).toMatch(/^a\s+2\s+1\s+0$/m);
  });
});

/**
 * Evaluation of a classifier against labelled texts: per-class precision, recall and F1, the
 * confusion matrix (rows: true intent, columns: predicted), accuracy and macro-F1. A class with
 * no predictions has precision 0 (scikit-learn's zero_division=0), likewise recall and F1.
 */
export interface ClassFigures {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Number of texts whose true intent is this class. */
  support: number;
}

export interface Evaluation {
  labels: string[];
  /** confusion[true][predicted] counts, in `labels` order. */
  confusion: number[][];
  perClass: ClassFigures[];
  accuracy: number;
  macroF1: number;
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

export function evaluatePredictions(labels: readonly string[], truth: readonly string[], predicted: readonly string[]): Evaluation {
  const all = [...labels];
  for (const l of [...truth, ...predicted]) if (!all.includes(l)) all.push(l);
  const at = new Map(all.map((l, i) => [l, i]));
  const confusion = all.map(() => all.map(() => 0));
  truth.forEach((t, i) => confusion[at.get(t)!]![at.get(predicted[i]!)!]!++);
  const perClass = all.map((label, c) => {
    const tp = confusion[c]![c]!;
    const predictedAs = confusion.reduce((s, row) => s + row[c]!, 0);
    const support = confusion[c]!.reduce((s, x) => s + x, 0);
    const precision = ratio(tp, predictedAs);
    const recall = ratio(tp, support);
    return { label, precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
  });
  const correct = all.reduce((s, _, c) => s + confusion[c]![c]!, 0);
  const scored = perClass.filter((f) => f.support > 0);
  return {
    labels: all,
    confusion,
    perClass,
    accuracy: ratio(correct, truth.length),
    macroF1: ratio(
      scored.reduce((s, f) => s + f.f1, 0),
      scored.length,
    ),
  };
}

/** The evaluation as a fixed-width text table (what `pulse intent eval` prints). */
export function formatEvaluation(e: Evaluation): string {
  const width = Math.max(10, ...e.labels.map((l) => l.length));
  const pad = (s: string): string => s.padEnd(width);
  const num = (x: number): string => x.toFixed(3).padStart(9);
  const lines = [`${pad('intent')} precision    recall        f1   support`];
  for (const f of e.perClass) lines.push(`${pad(f.label)}${num(f.precision)} ${num(f.recall)} ${num(f.f1)} ${String(f.support).padStart(9)}`);
  lines.push('', `accuracy ${e.accuracy.toFixed(3)}  macro-F1 ${e.macroF1.toFixed(3)}  (${e.confusion.flat().reduce((s, x) => s + x, 0)} texts)`, '');
  lines.push('confusion matrix (rows: true intent, columns: predicted)');
  const cell = Math.max(6, ...e.labels.map((l) => l.length)) + 1;
  lines.push(pad('') + e.labels.map((l) => l.padStart(cell)).join(''));
  e.confusion.forEach((row, i) => lines.push(pad(e.labels[i]!) + row.map((x) => String(x).padStart(cell)).join('')));
  return `${lines.join('\n')}\n`;
}

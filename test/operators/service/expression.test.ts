import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpressionError, compileExpression, parseExpression, type FactValue } from '../../../operators/service/expression.js';

/**
 * The service-trigger condition language against an oracle written from README
 * (operators/service/README.md, "Conditions"), not from the parser: generated expression trees are
 * printed as a user would write them (fewest parentheses, keywords in any case, random spacing),
 * parsed and compiled, and must answer as the oracle evaluating the tree itself.
 */

type Lit = { t: 'num'; v: number } | { t: 'bool'; v: boolean } | { t: 'word'; v: string } | { t: 'quoted'; v: string };
type Node =
  | { k: 'or' | 'and'; a: Node; b: Node }
  | { k: 'not'; a: Node }
  | { k: 'cmp'; field: string; op: '==' | '!=' | '<' | '<=' | '>' | '>='; lit: Lit }
  | { k: 'in'; field: string; negate: boolean; list: Lit[] }
  | { k: 'contains'; field: string; lit: Lit };

const FIELDS = ['a', 'answers.q', 'tier', 'comment'] as const;

// --- the oracle: README's rules, one by one -------------------------------------------------------
const missing = (v: FactValue): boolean => v === undefined || v === null;
/** "numeric strings ("7") count" */
const numeric = (v: FactValue): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? parseFloat(v) : null;
/** `==`: "`== true/false` also matches the strings true/false/yes/no in any case"; numbers compare as numbers; words exactly. */
function equals(v: FactValue, lit: Lit): boolean {
  if (lit.t === 'bool') {
    if (typeof v === 'boolean') return v === lit.v;
    const word = typeof v === 'string' ? v.trim().toLowerCase() : '';
    return lit.v ? word === 'true' || word === 'yes' : word === 'false' || word === 'no';
  }
  if (lit.t === 'num') return numeric(v) === lit.v;
  return `${String(v)}` === lit.v;
}
/** "A missing value makes every clause on it false, `!=` included." */
function oracle(n: Node, facts: Record<string, FactValue>): boolean {
  switch (n.k) {
    case 'or':
      return oracle(n.a, facts) || oracle(n.b, facts);
    case 'and':
      return oracle(n.a, facts) && oracle(n.b, facts);
    case 'not':
      return !oracle(n.a, facts);
    case 'cmp': {
      const v = facts[n.field];
      if (missing(v)) return false;
      if (n.op === '==') return equals(v, n.lit);
      if (n.op === '!=') return !equals(v, n.lit);
      const x = numeric(v);
      const y = n.lit.v as number;
      if (x === null) return false;
      return n.op === '<' ? x < y : n.op === '<=' ? x <= y : n.op === '>' ? x > y : x >= y;
    }
    case 'in': {
      const v = facts[n.field];
      if (missing(v)) return false;
      return n.list.some((lit) => equals(v, lit)) !== n.negate;
    }
    case 'contains': {
      const v = facts[n.field];
      return typeof v === 'string' && v.toLowerCase().includes(String(n.lit.v).toLowerCase());
    }
  }
}

// --- generators and the printer -------------------------------------------------------------------
const num = fc.constantFrom(-3, 0, 1, 2.5, 5, 7, 10).map((v): Lit => ({ t: 'num', v }));
const text = fc.oneof(
  fc.constantFrom('Gold', 'gold', 'north-east', 'yes', 'No').map((v): Lit => ({ t: 'word', v })),
  fc.constantFrom('Gold', 'can cel', '7', 'it is fine').map((v): Lit => ({ t: 'quoted', v })),
);
const lit = fc.oneof(
  num,
  text,
  fc.boolean().map((v): Lit => ({ t: 'bool', v })),
);
const field = fc.constantFrom(...FIELDS);
const clause: fc.Arbitrary<Node> = fc.oneof(
  fc.record({ k: fc.constant('cmp' as const), field, op: fc.constantFrom('==' as const, '!=' as const), lit }),
  fc.record({ k: fc.constant('cmp' as const), field, op: fc.constantFrom('<' as const, '<=' as const, '>' as const, '>=' as const), lit: num }),
  fc.record({ k: fc.constant('in' as const), field, negate: fc.boolean(), list: fc.array(lit, { minLength: 1, maxLength: 3 }) }),
  fc.record({ k: fc.constant('contains' as const), field, lit: text }),
);
const tree = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    clause,
    fc.record({ k: fc.constantFrom('or' as const, 'and' as const), a: tie('node'), b: tie('node') }),
    fc.record({ k: fc.constant('not' as const), a: tie('node') }),
  ),
})).node;

/** Spellings of a keyword a user may write: the parser reads keywords in any case. */
const spell = (word: string, style: number): string => (style % 3 === 0 ? word : style % 3 === 1 ? word.toUpperCase() : word[0]!.toUpperCase() + word.slice(1));
const printLit = (l: Lit, style: number): string =>
  l.t === 'num' ? String(l.v) : l.t === 'bool' ? spell(String(l.v), style) : l.t === 'word' ? l.v : style % 2 ? `'${l.v}'` : `"${l.v}"`;
const PRECEDENCE = { or: 1, and: 2, not: 3 } as const;
const level = (n: Node): number => (n.k === 'or' || n.k === 'and' || n.k === 'not' ? PRECEDENCE[n.k] : 4);

/** Prints with the fewest parentheses the documented precedence allows (or < and < not < clause). */
function print(n: Node, style: number, gap: string): string {
  const sub = (child: Node, min: number): string => {
    const s = print(child, style + 1, gap);
    return level(child) < min ? `(${s})` : s;
  };
  switch (n.k) {
    case 'or':
    case 'and':
      // Left-associative chains need no parentheses on the left; the right side needs them at equal level.
      return `${sub(n.a, PRECEDENCE[n.k])}${gap}${spell(n.k, style)}${gap}${sub(n.b, PRECEDENCE[n.k] + 1)}`;
    case 'not':
      return `${spell('not', style)} ${sub(n.a, PRECEDENCE.not)}`;
    case 'cmp':
      return `${n.field}${gap}${n.op}${gap}${printLit(n.lit, style)}`;
    case 'in':
      return `${n.field} ${n.negate ? `${spell('not', style)}${gap}` : ''}${spell('in', style)} [${n.list.map((l) => printLit(l, style)).join(`,${gap}`)}]`;
    case 'contains':
      return `${n.field} ${spell('contains', style)} ${printLit(n.lit, style)}`;
  }
}

const factValue = fc.constantFrom<FactValue>(
  undefined,
  null,
  0,
  5,
  7,
  2.5,
  -3,
  '7',
  ' 5 ',
  'yes',
  'No',
  'TRUE',
  'Gold',
  'gold',
  'north-east',
  'Can cel now',
  true,
  false,
);
const facts = fc.record(Object.fromEntries(FIELDS.map((f) => [f, factValue])) as Record<(typeof FIELDS)[number], fc.Arbitrary<FactValue>>);

describe('service conditions: parser and compiled predicate against the README oracle', () => {
  it('generated expressions, printed with the fewest parentheses, answer as the oracle', () => {
    fc.assert(
      fc.property(tree, fc.nat(5), fc.constantFrom(' ', '  ', '\t'), fc.array(facts, { minLength: 1, maxLength: 4 }), (node, style, gap, factSets) => {
        const text = print(node, style, gap);
        const predicate = compileExpression(parseExpression(text));
        for (const f of factSets) {
          expect(
            predicate((name) => f[name as keyof typeof f]),
            `${text} on ${JSON.stringify(f)}`,
          ).toBe(oracle(node, f));
        }
      }),
      { numRuns: 3000 },
    );
  });

  // Hand-computed cases for what the property checks in bulk, readable on their own.
  it.each<[string, Record<string, FactValue>, boolean]>([
    // `not` binds looser than a comparison and tighter than `and`/`or`
    ['not a == 1 or tier == Gold', { a: 1, tier: 'Gold' }, true],
    ['not a == 1 or tier == Gold', { a: 1, tier: 'Silver' }, false],
    ['not (a == 1 or tier == Gold)', { a: 2, tier: 'Gold' }, false],
    // `and` binds tighter than `or`
    ['a == 1 or a == 2 and tier == Gold', { a: 1, tier: 'Silver' }, true],
    ['(a == 1 or a == 2) and tier == Gold', { a: 1, tier: 'Silver' }, false],
    // keywords in any case; `not in` with any spacing
    ['a == 1 AND tier NOT   IN [Gold, Silver]', { a: '1', tier: 'Bronze' }, true],
    // a missing field: `!=` and `not in` are false too, but `not (... == ...)` is true
    ['tier != Gold', {}, false],
    ['tier not in [Gold]', {}, false],
    ['not tier == Gold', {}, true],
    // hyphenated bare words are one word, not a subtraction
    ['region == north-east', { region: 'north-east' }, true],
  ])('%s on %j -> %s', (text, f, expected) => {
    expect(compileExpression(parseExpression(text))((name) => f[name])).toBe(expected);
  });

  it.each([
    ['a == 1 b == 2', "expected 'and', 'or' or the end, found 'b' at column 8", 8],
    ['(a == 1', "expected ')', found the end of the expression", 8],
    ['tier in [Gold', "expected ',' or ']', found the end of the expression", 14],
    ['a <= high', "'<=' needs a number, found 'high' at column 6", 6],
    ['a == 1 && b == 2', "unexpected character '&' at column 8", 8],
  ])('%s is refused: %s', (text, message, column) => {
    let error: unknown = null;
    try {
      parseExpression(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExpressionError);
    expect((error as ExpressionError).message).toBe(message);
    expect((error as ExpressionError).column).toBe(column);
  });
});

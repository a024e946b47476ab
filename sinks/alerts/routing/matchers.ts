import { RE2JS, RE2JSSyntaxException } from 're2js';
import { RoutingConfigError } from './errors.js';

/**
 * Alertmanager label matchers: `name="value"`, `name!="value"`, `name=~"regex"`, `name!~"regex"`.
 * Regexes are anchored like Alertmanager's (the whole value must match); a missing label matches as
 * the empty string.
 *
 * Regexes are RE2 (the `re2js` port), Alertmanager's own engine, not JavaScript's: a matcher copied
 * from an Alertmanager config means the same here (`(?i)critical` works; `(?=...)` and
 * back-references are refused, as Alertmanager refuses them), and matching takes time linear in the
 * label's length whatever the pattern, so a label value (some carry case ids) cannot make routing
 * backtrack. The matcher syntax itself stays one regular expression: no kept npm library parses
 * Alertmanager's matcher strings (`@prometheus-io/lezer-promql` parses PromQL selectors, which need
 * braces and refuse the unquoted `kind=sales`), and the line below is the whole grammar.
 */
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
  /** Compiled RE2 pattern for `=~` and `!~`. */
  readonly regex?: RE2JS;
}

const MATCHER_SYNTAX = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s,{}]*))\s*$/;

/** Parses one matcher; `path` is used in the error message. */
export function parseMatcher(text: string, path: string): Matcher {
  const found = MATCHER_SYNTAX.exec(text);
  if (!found) {
    throw new RoutingConfigError(
      'ROUTING_MATCHER_INVALID',
      path,
      `invalid matcher '${text}': expected label name, one of = != =~ !~, then a value (e.g. severity=~"warning|critical")`,
    );
  }
  const name = found[1] as string;
  const op = found[2] as MatchOp;
  const value = found[3] !== undefined ? unescape(found[3]) : (found[4] ?? '');
  if (op === '=~' || op === '!~') return { name, op, value, regex: compileRegex(value, text, path) };
  return { name, op, value };
}

function compileRegex(pattern: string, text: string, path: string): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (cause) {
    // RE2's reason names the construct, e.g. "invalid or unsupported Perl syntax: `(?=`".
    const reason = cause instanceof RE2JSSyntaxException ? `: ${cause.getDescription()}: \`${cause.getPattern() ?? pattern}\`` : '';
    throw new RoutingConfigError(
      'ROUTING_MATCHER_INVALID',
      path,
      `invalid regular expression in '${text}'${reason} (RE2 syntax, as in Alertmanager: no look-arounds or back-references)`,
      { cause },
    );
  }
}

function unescape(quoted: string): string {
  return quoted.replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch));
}

export function parseMatchers(texts: readonly string[], path: string): Matcher[] {
  return texts.map((text, i) => parseMatcher(text, `${path}[${i}]`));
}

export function matches(matcher: Matcher, labels: Readonly<Record<string, string>>): boolean {
  const actual = labels[matcher.name] ?? '';
  switch (matcher.op) {
    case '=':
      return actual === matcher.value;
    case '!=':
      return actual !== matcher.value;
    case '=~':
      return (matcher.regex as RE2JS).testExact(actual);
    case '!~':
      return !(matcher.regex as RE2JS).testExact(actual);
  }
}

/** True when every matcher matches (an empty list matches everything). */
export function matchesAll(matchers: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  for (const m of matchers) if (!matches(m, labels)) return false;
  return true;
}

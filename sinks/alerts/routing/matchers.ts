import { RoutingConfigError } from './errors.js';

/**
 * Alertmanager label matchers: `name="value"`, `name!="value"`, `name=~"regex"`, `name!~"regex"`.
 * Regexes are anchored like Alertmanager's (`^(?:re)$`); a missing label matches as the empty string.
 */
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
  /** Compiled, anchored regex for `=~` and `!~`. */
  readonly regex?: RegExp;
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
  if (op === '=~' || op === '!~') {
    try {
      return { name, op, value, regex: new RegExp(`^(?:${value})$`) };
    } catch (cause) {
      throw new RoutingConfigError('ROUTING_MATCHER_INVALID', path, `invalid regular expression in '${text}'`, { cause });
    }
  }
  return { name, op, value };
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
      return (matcher.regex as RegExp).test(actual);
    case '!~':
      return !(matcher.regex as RegExp).test(actual);
  }
}

/** True when every matcher matches (an empty list matches everything). */
export function matchesAll(matchers: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  for (const m of matchers) if (!matches(m, labels)) return false;
  return true;
}

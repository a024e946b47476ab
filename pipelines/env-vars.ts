import { ConfigError } from '../operators/errors.js';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed YAML document. Done after
 * parsing, on string values only, so a variable's value can never change the document's structure.
 * Strings at paths for which `keep` is true stay as written (secrets, which their component reads
 * from the environment itself, so that the value never passes through the job's configuration).
 */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, path = '', keep: (path: string) => boolean = () => false): unknown {
  if (typeof value === 'string') {
    if (keep(path)) return value;
    return value.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      const state = found === undefined ? 'is not set' : 'is set but empty';
      throw new ConfigError(`${path || '(root)'}: environment variable ${name} ${state}; set it or write \${${name}:-default}`);
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, `${path}[${i}]`, keep));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substituteEnv(item, env, path ? `${path}.${key}` : key, keep)]));
  }
  return value;
}

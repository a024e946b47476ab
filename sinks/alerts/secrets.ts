import { readFileSync } from 'node:fs';
import { AlertingConfigError } from './errors.js';

/**
 * Secrets come from the environment or a file, never from the YAML itself: a config value is
 * either `${NAME}` (an environment variable) or given as `*_file: /path` (trailing newline removed).
 */
export interface SecretRef {
  /** `${NAME}`: read from the environment. Plain text is refused so secrets do not end up in YAML. */
  value?: string;
  file?: string;
}

const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

export function resolveSecret(ref: SecretRef, path: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (ref.value !== undefined && ref.file !== undefined) {
    throw new AlertingConfigError(path, 'give either the value (as ${ENV_VAR}) or the _file key, not both');
  }
  if (ref.file !== undefined) {
    try {
      return readFileSync(ref.file, 'utf8').replace(/\r?\n$/, '');
    } catch (cause) {
      throw new AlertingConfigError(`${path}_file`, `cannot read secret file '${ref.file}'`, { cause });
    }
  }
  if (ref.value === undefined) return undefined;
  const m = ENV_REF.exec(ref.value);
  if (!m) {
    throw new AlertingConfigError(path, 'secrets must be ${ENV_VAR} or come from the matching _file key, not literal text');
  }
  const found = env[m[1] as string];
  if (found === undefined || found === '') {
    throw new AlertingConfigError(path, `environment variable ${m[1]} is not set`);
  }
  return found;
}

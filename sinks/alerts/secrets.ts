import { readFileSync } from 'node:fs';
import { AlertingConfigError } from './errors.js';
import type { ReceiverType } from './types.js';

/**
 * Secrets come from the environment or a file, never from the YAML itself: a config value is
 * either `${NAME}` (an environment variable) or given as `*_file: /path` (trailing newline removed).
 */
export interface SecretRef {
  /** `${NAME}`: read from the environment. Plain text is refused so secrets do not end up in YAML. */
  value?: string;
  file?: string;
}

/**
 * The keys of each receiver type that hold a secret. Each may be given as `key: ${ENV_VAR}` (read
 * by pulse from the environment when the receiver is built: the job loader leaves these keys
 * unsubstituted), `key_env: ENV_VAR` or `key_file: /path`.
 */
export const SECRET_KEYS: Readonly<Record<ReceiverType, readonly string[]>> = {
  webhook: ['bearer_token'],
  alertmanager: ['bearer_token'],
  email: ['auth_password'],
  slack: ['url'],
  file: [],
  kafka: [],
};

/** True when `key` of a receiver of `type` holds a secret (job-config.ts leaves its `${...}` alone). */
export function isSecretKey(type: unknown, key: string): boolean {
  return typeof type === 'string' && type in SECRET_KEYS && SECRET_KEYS[type as ReceiverType].includes(key);
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
    throw new AlertingConfigError(
      path,
      `environment variable ${m[1]} is not set; set it to the secret, or give ${path.split('.').pop()}_file: /path/to/secret`,
    );
  }
  return found;
}

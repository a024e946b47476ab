/**
 * Where a worker thread starts. Built, a module's worker entry is the `.js` file compiled beside it.
 * Run from TypeScript sources (vitest, `node --import tsx`), the entry is the `.ts` file, and the
 * worker needs tsx registered before it imports it (and the `.ts` modules it imports in turn).
 * tsx is a devDependency: this path exists only where the sources do.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export interface WorkerEntry {
  /** The module the worker runs. */
  url: URL;
  /** For a `.ts` entry: the tsx API the worker registers first. */
  tsx?: string;
}

/**
 * The entry `name` (without extension) beside the module at `moduleUrl`: the compiled `.js`, else
 * the `.ts` source when tsx is installed, else undefined (the caller runs on its own thread).
 */
export function workerEntry(moduleUrl: string, name: string): WorkerEntry | undefined {
  const compiled = new URL(`./${name}.js`, moduleUrl);
  if (existsSync(fileURLToPath(compiled))) return { url: compiled };
  const source = new URL(`./${name}.ts`, moduleUrl);
  const tsx = tsxApi();
  return existsSync(fileURLToPath(source)) && tsx !== undefined ? { url: source, tsx } : undefined;
}

/**
 * Starts a worker on `entry`. A `.ts` entry starts through a bootstrap script: Node 20 does not apply
 * loader hooks given as `execArgv: ['--import', 'tsx']` to a worker's own entry module.
 */
export function startWorker(entry: WorkerEntry, options: WorkerOptions): Worker {
  if (entry.tsx === undefined) return new Worker(entry.url, options);
  const bootstrap = `import(${JSON.stringify(entry.tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.url.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

function tsxApi(): string | undefined {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return undefined;
  }
}

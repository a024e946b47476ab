import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { freePort } from '../../bench/free-port.js';

/** Debian's `prometheus` package (deploy/install-host-deps.sh); live tests skip without it. */
export const PROMETHEUS = '/usr/bin/prometheus';
export const hasPrometheus = existsSync(PROMETHEUS);

export interface QueryResult {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

/** A real Prometheus scraping `targets` every second as job `pulse`, with `ruleFiles` loaded. */
export interface PrometheusServer {
  url: string;
  query(expr: string): Promise<QueryResult>;
  /** Why the process is gone, or undefined while it runs. */
  died(): string | undefined;
  stop(): Promise<void>;
}

/** Polls `check` (exceptions count as not yet) until true; fails at once when `dead` says why. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, dead?: () => string | undefined): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const died = dead?.();
    if (died) throw new Error(`${what}: ${died}`);
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Keeps the last few KB of a child's output for error messages. */
export function tail(child: ChildProcess, stream: 'stdout' | 'stderr'): () => string {
  let text = '';
  child[stream]?.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-8000);
  });
  return () => text;
}

/** SIGTERM, then SIGKILL after 10 s; resolves with the exit code. */
export async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  const code = await Promise.race([exited, sleep(10_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    child.kill('SIGKILL');
    return exited;
  }
  return code;
}

export async function startPrometheus(work: string, targets: readonly string[], ruleFiles: readonly string[] = []): Promise<PrometheusServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(work, 'prometheus.yml');
  writeFileSync(
    config,
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [...ruleFiles],
      scrape_configs: [{ job_name: 'pulse', static_configs: [{ targets: [...targets] }] }],
    }),
  );
  const child = spawn(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${join(work, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], {
    cwd: work,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log = tail(child, 'stderr');
  const died = (): string | undefined => (child.exitCode !== null ? `prometheus exited with ${child.exitCode}: ${log()}` : undefined);
  await waitUntil('prometheus /-/ready', async () => (await fetch(`${url}/-/ready`)).ok, 30_000, died);
  return {
    url,
    query: async (expr) => (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as QueryResult,
    died,
    stop: async () => void (await stopChild(child)),
  };
}

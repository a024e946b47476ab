import { spawn } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(process.cwd(), 'dist/pipelines/cli.js');

/** Runs `pulse run ARGS` to its end; resolves with its exit code and what it wrote to stderr. */
export function runPulse(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'run', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PULSE_LOG_LEVEL: 'warn' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

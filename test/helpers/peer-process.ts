import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/**
 * Stops a peer a test started (Alertmanager, an SMTP server) and removes its directory once it
 * has exited: removing it while the peer still writes on shutdown fails with ENOTEMPTY.
 */
export async function stopPeer(proc: ChildProcess | undefined, dir: string, timeoutMs = 10_000): Promise<void> {
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}

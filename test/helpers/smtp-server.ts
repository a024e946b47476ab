import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../bench/free-port.js';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = join(process.cwd(), 'test/sinks/alerts/smtp_server.py');

/** A message as test/sinks/alerts/smtp_server.py writes it. */
export interface ReceivedMail {
  rcpt_tos: string[];
  subject: string;
  from: string;
  idempotency_key: string;
  text: string;
  html: string;
  attachments: Array<{ filename: string; content: string }>;
}

/** A real SMTP server (python3-aiosmtpd) that writes each message it takes to `dir/out` as JSON. */
export async function startSmtpServer(dir: string): Promise<{ proc: ChildProcess; port: number; outDir: string; received: () => ReceivedMail[] }> {
  const outDir = join(dir, 'out');
  mkdirSync(outDir, { recursive: true });
  const port = await freePort();
  const proc = spawn(PYTHON, [SCRIPT, String(port), outDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    proc.stdout?.on('data', (d: Buffer) => d.toString().includes('READY') && resolve());
    proc.on('exit', () => reject(new Error(`SMTP server exited: ${err}`)));
  });
  const received = (): ReceivedMail[] =>
    readdirSync(outDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(outDir, f), 'utf8')) as ReceivedMail);
  return { proc, port, outDir, received };
}

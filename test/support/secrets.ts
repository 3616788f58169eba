/**
 * Leak detection: recognisable secret values ("canaries") to configure a service with, the service
 * run as a real process (compiled, as `npm start` runs it) with every line it writes captured, its
 * HTTP replies recorded, and a check that no log line and no reply contains any canary, as is or
 * encoded (base64, base64url, URL-encoded, JSON-escaped).
 *
 * Use it for any service:
 *
 *   const secret = canary('jwt');                       // 'canary-jwt-<random>', long enough for any secret
 *   const run = runWatched('deals-api', { ...world.env, SOME_SECRET: secret, DATABASE_URL: withPassword(world.env.DATABASE_URL!, canary('pg')) });
 *   await run.waitForLine(/started/);
 *   await run.fetch(`http://127.0.0.1:${port}/health`);  // replies are recorded
 *   ...drive errors...
 *   await run.stop();
 *   expect(leaks(run, [secret, ...])).toEqual([]);
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { buildServices, serviceArgs } from '../../scripts/services';
import { ROOT } from '../../shared/paths';

/** A secret value nobody could mistake for anything else, 40+ characters. */
export const canary = (label: string): string => `canary-${label}-${randomBytes(12).toString('hex')}`;

/** `url` with `password` as its password (Postgres on the local stack trusts, so it still connects). */
export function withPassword(url: string, password: string, user = 'postgres'): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

export interface WatchedProcess {
  /** everything the process wrote, stdout and stderr */
  output(): string;
  /** HTTP replies (status line, headers and body) received through `fetch` */
  replies(): string[];
  /** fetch, recording the reply */
  fetch(url: string, init?: RequestInit): Promise<{ status: number; text: string }>;
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts `services/<service>/main.ts` compiled, with `env` (and nothing else of this process's environment but PATH). */
export function runWatched(service: string, env: NodeJS.ProcessEnv, args: string[] = []): WatchedProcess {
  buildServices();
  const child = spawn(process.execPath, [...serviceArgs(service), ...args], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const replies: string[] = [];
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    output: () => out,
    replies: () => replies,
    exited,
    async fetch(url, init) {
      const res = await fetch(url, init);
      const text = await res.text();
      replies.push(`${res.status} ${res.statusText}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${text}`);
      return { status: res.status, text };
    },
    async waitForLine(pattern, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (child.exitCode !== null) throw new Error(`${service} exited (${child.exitCode}) before ${pattern}:\n${out.slice(-2000)}`);
        if (Date.now() > end) throw new Error(`${service}: no line matching ${pattern} in ${timeoutMs} ms:\n${out.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** The forms a secret could take in a line or a reply. */
function forms(secret: string): string[] {
  const b = Buffer.from(secret);
  return [secret, b.toString('base64'), b.toString('base64url'), encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
}

/** Where any of `secrets` appears in the process's output or its replies: empty when nothing leaked. */
export function leaks(run: Pick<WatchedProcess, 'output' | 'replies'>, secrets: string[]): string[] {
  const found: string[] = [];
  const texts = [...run.output().split('\n').map((l, i) => [`log line ${i + 1}`, l] as const), ...run.replies().map((r, i) => [`reply ${i + 1}`, r] as const)];
  for (const secret of secrets) {
    for (const form of new Set(forms(secret))) {
      for (const [where, text] of texts) if (text.includes(form)) found.push(`${where} contains a secret: ${text.slice(0, 300)}`);
    }
  }
  return found;
}

/**
 * `npm start`'s supervisor: a service process that exits non-zero (a consumer stopped for good, an
 * uncaught error, a kill) is started again after a pause that doubles with each restart up to a cap,
 * and goes back to the base once the process stayed up `stableMs`. Every restart is one structured
 * JSON line (`event: "service_restart"`). A clean exit (0) is not restarted, nor anything once
 * `stop()` was called.
 */
import type { ChildProcess } from 'node:child_process';

export interface SupervisorSettings {
  /** First pause before a restart. */
  baseMs: number;
  /** Largest pause. */
  capMs: number;
  /** Up this long: the next crash starts the backoff from the base again. */
  stableMs: number;
}

export const DEFAULT_SUPERVISOR: SupervisorSettings = { baseMs: 1_000, capMs: 30_000, stableMs: 60_000 };

export interface RestartEvent {
  event: 'service_restart';
  service: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** How long the process that ended had been up. */
  uptimeMs: number;
  /** 1 for the first restart of a streak. */
  restart: number;
  delayMs: number;
}

export interface Supervised {
  readonly name: string;
  /** The process running now (or the last one, while waiting to restart). */
  current(): ChildProcess;
  up(): boolean;
  restarts(): number;
  /** Stops it for good: SIGTERM (SIGKILL after `killAfterMs`), no restart; resolves once it exited. */
  stop(killAfterMs?: number): Promise<void>;
}

/** The pause before restart number `n` of a streak (1-based): base x 2^(n-1), capped. */
export function restartDelay(n: number, s: SupervisorSettings): number {
  return Math.min(s.capMs, s.baseMs * 2 ** Math.min(Math.max(n - 1, 0), 30));
}

export function supervise(opts: {
  name: string;
  spawn: () => ChildProcess;
  log: (line: RestartEvent | Record<string, unknown>) => void;
  settings?: Partial<SupervisorSettings>;
  now?: () => number;
}): Supervised {
  const s = { ...DEFAULT_SUPERVISOR, ...opts.settings };
  const now = opts.now ?? Date.now;
  let stopping = false;
  let streak = 0;
  let total = 0;
  let child: ChildProcess;
  let exited: Promise<void>;
  let timer: NodeJS.Timeout | undefined;

  const launch = (): void => {
    const startedAt = now();
    child = opts.spawn();
    exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        resolve();
        if (stopping) return;
        const uptimeMs = now() - startedAt;
        if (code === 0) { opts.log({ event: 'service_exit', service: opts.name, exitCode: 0, uptimeMs, restarted: false }); return; }
        if (uptimeMs >= s.stableMs) streak = 0;
        streak++;
        total++;
        const delayMs = restartDelay(streak, s);
        opts.log({ event: 'service_restart', service: opts.name, exitCode: code, signal, uptimeMs, restart: streak, delayMs });
        timer = setTimeout(() => { if (!stopping) launch(); }, delayMs);
      });
    });
  };
  launch();

  return {
    name: opts.name,
    current: () => child,
    up: () => child.exitCode === null && child.signalCode === null,
    restarts: () => total,
    async stop(killAfterMs = 15_000) {
      stopping = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        await exited;
        clearTimeout(kill);
      }
    },
  };
}

/**
 * Graceful shutdown: on SIGTERM/SIGINT run the closers once, in reverse order of registration
 * (stop consuming -> finish the batch and commit -> close clients), then exit.
 */
import type { Logger } from './logger';

type Closer = { name: string; close: () => Promise<unknown> };

export function createShutdown(logger: Logger, timeoutMs = 15_000) {
  const closers: Closer[] = [];
  let running: Promise<void> | undefined;

  const run = (reason: string): Promise<void> => {
    running ??= (async () => {
      logger.info({ reason }, 'shutting down');
      const timer = setTimeout(() => { logger.error('shutdown timed out'); process.exit(1); }, timeoutMs);
      timer.unref();
      for (const c of [...closers].reverse()) {
        try { await c.close(); } catch (err) { logger.error({ err, closer: c.name }, 'error while closing'); }
      }
      clearTimeout(timer);
      logger.info('stopped');
    })();
    return running;
  };

  return {
    add(name: string, close: () => Promise<unknown>): void { closers.push({ name, close }); },
    run,
    /** Installs the signal handlers; the process exits 0 after a clean shutdown. */
    install(): void {
      for (const sig of ['SIGTERM', 'SIGINT'] as const) {
        // `on`, not `once`: under npm/tsx the same signal can arrive twice, and a second default handler
        // would kill the process mid-shutdown. run() is memoised, so repeats only wait for it.
        process.on(sig, () => { void run(sig).then(() => process.exit(0)); });
      }
    },
  };
}

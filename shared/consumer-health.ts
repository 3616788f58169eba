/**
 * What /health says about a service's Kafka consumers, and what happens when one stops for good.
 *
 * Every consumer is watched (`watch`): kafkajs's GROUP_JOIN makes it running, a CRASH it restarts
 * from makes it restarting, a CRASH with `restart: false` (a non-retriable error: it will never
 * consume again) makes it crashed. A crashed consumer turns liveness red at once and then calls
 * `onFatal` (main: shut down, exit 1, so a supervisor restarts the process). While a consumer waits
 * out an outage (withOutageRetry reporting here) it is alive but not ready: /health says degraded.
 */
import type { Consumer } from 'kafkajs';
import { errorText, type OutageReporter } from './failure';
import type { HealthCheck } from './ops';
import type { Logger } from './logger';

export const CONSUMER_STATES = ['starting', 'running', 'restarting', 'crashed', 'stopped'] as const;
export type ConsumerState = (typeof CONSUMER_STATES)[number];

export interface WatchedConsumer extends OutageReporter {
  readonly name: string;
  state(): ConsumerState;
  /** Outages being waited out right now (key -> error text). */
  outages(): ReadonlyMap<string, string>;
  /** Alive: not crashed (starting, running, restarting and waiting out an outage are alive). */
  live(): boolean;
  /** Ready: in its group and not waiting on a dependency. */
  ready(): boolean;
  /** Marks it crashed (a fatal error outside kafkajs, e.g. a loop that cannot go on). */
  crash(err: unknown): void;
}

export interface ConsumerHealth {
  /** Watches a kafkajs consumer (call before consumer.run). */
  watch(name: string, consumer: Consumer): WatchedConsumer;
  /** A consumer-like loop without kafkajs (the outbox relay, the enricher): running from the start. */
  track(name: string): WatchedConsumer;
  /** Liveness checks, one per consumer (ops.ts's third argument). */
  liveness(): Record<string, HealthCheck>;
  /** Readiness checks, one per consumer. */
  readiness(): Record<string, HealthCheck>;
  all(): readonly WatchedConsumer[];
}

export interface ConsumerHealthOptions {
  logger: Logger;
  /** A consumer stopped for good: called once, after liveness turned red (main: shut down and exit 1). */
  onFatal?: (name: string, err: unknown) => void;
}

export function createConsumerHealth(opts: ConsumerHealthOptions): ConsumerHealth {
  const watched: WatchedConsumer[] = [];
  let fatalCalled = false;

  function make(name: string, initial: ConsumerState): WatchedConsumer & { set(s: ConsumerState): void } {
    let state: ConsumerState = initial;
    const outages = new Map<string, string>();
    const w = {
      name,
      state: () => state,
      set(s: ConsumerState) { if (state !== 'crashed') state = s; },
      outages: () => outages,
      live: () => state !== 'crashed',
      ready: () => state === 'running' && outages.size === 0,
      outage(key: string, err: unknown) { outages.set(key, errorText(err)); },
      recovered(key: string) { outages.delete(key); },
      crash(err: unknown) {
        if (state === 'crashed') return;
        state = 'crashed';
        opts.logger.fatal({ consumer: name, err: errorText(err), errName: (err as { name?: string } | null)?.name }, 'consumer stopped for good: health is down, the process exits');
        if (!fatalCalled) { fatalCalled = true; opts.onFatal?.(name, err); }
      },
    };
    watched.push(w);
    return w;
  }

  return {
    watch(name, consumer) {
      const w = make(name, 'starting');
      consumer.on(consumer.events.GROUP_JOIN, () => w.set('running'));
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (payload.restart) {
          w.set('restarting');
          opts.logger.error({ consumer: name, err: errorText(payload.error) }, 'consumer crashed; kafkajs restarts it');
        } else {
          w.crash(payload.error);
        }
      });
      consumer.on(consumer.events.STOP, () => w.set('stopped'));
      return w;
    },
    track(name) { const w = make(name, 'running'); return w; },
    liveness: () => Object.fromEntries(watched.map((w) => [`${w.name}-consumer`, () => Promise.resolve(w.live())])),
    readiness: () => Object.fromEntries(watched.map((w) => [`${w.name}-ready`, () => Promise.resolve(w.ready())])),
    all: () => watched,
  };
}

/**
 * The `onFatal` of a service: health is already red; after `graceMs` (so a probe sees it) the
 * service shuts down and the process exits 1 (a supervisor, `npm start` or the platform, restarts it).
 */
export function exitOnFatal(shutdown: { run(reason: string): Promise<void> }, graceMs = Number(process.env.FATAL_EXIT_GRACE_MS ?? 1500)): (name: string, err: unknown) => void {
  return (name) => {
    setTimeout(() => { void shutdown.run(`consumer ${name} stopped for good`).finally(() => process.exit(1)); }, graceMs);
  };
}

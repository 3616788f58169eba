/**
 * The one failure rule of every consumer: is an error an OUTAGE of something we depend on (the broker,
 * the schema registry, Postgres, Redis, the network), a BAD MESSAGE, or something else?
 *
 * - outage: wait and retry with capped exponential backoff and jitter (`withOutageRetry`), never
 *   dead-letter, never commit past the message. A registry timeout is not the message's fault.
 * - bad-message: the bytes or their content are at fault (undecodable, unknown schema id, invalid
 *   after decoding): dead-letter with the reason and go on.
 * - unknown: neither (a bug, a refusal we cannot place). Never dead-lettered: it is thrown back to
 *   kafkajs, which retries and restarts the consumer, or stops it for good on a non-retriable error,
 *   which turns the service's health red and exits the process (consumer-health.ts).
 *
 * The decision reads error classes, names and codes (SQLSTATE, errno, HTTP status, kafkajs's
 * `retriable`), never the message text.
 */
import { DatabaseError } from 'pg';
import { ZodError } from 'zod';
import type { Logger } from './logger';

export const FAILURE_KINDS = ['outage', 'bad-message', 'unknown'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** Thrown where a message is found to be at fault (undecodable, unknown schema, invalid content). */
export class BadMessageError extends Error {
  override readonly name: string = 'BadMessageError';
}

/** Socket and DNS errors of Node (errno codes) and undici (fetch): nothing answered, or the line broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ECONNABORTED',
  'EAI_AGAIN', 'ENOTFOUND', 'ESOCKETTIMEDOUT', 'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED',
]);

/**
 * kafkajs errors that mean "the cluster is not answering (yet)". Their `retriable` flag says the same
 * for most; these are listed because a few (no broker available) are created non-retriable.
 */
const KAFKA_OUTAGE_NAMES = new Set([
  'KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError', 'KafkaJSMetadataNotLoaded', 'KafkaJSTopicMetadataNotLoaded', 'KafkaJSLockTimeout', 'KafkaJSTimeout',
  'KafkaJSStaleTopicMetadataAssignment',
]);

/**
 * SQLSTATEs of a Postgres that is away or overloaded, or of a transient conflict a retry resolves:
 * class 08 (connection exception) and 53 (insufficient resources) by prefix, these by code.
 */
const PG_OUTAGE_CODES = new Set([
  '57P01', '57P02', '57P03', '57P05', // admin / crash shutdown, cannot connect now, idle session timeout
  '57014', // query canceled (statement timeout)
  '40001', '40P01', '55P03', // serialization failure, deadlock, lock not available
  '3D000', // the database does not exist (yet): a missing dependency, never the message's fault
]);

/** Redis reply codes (the first word of an error reply, by protocol) of a server that cannot serve now. */
const REDIS_OUTAGE_REPLIES = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'TRYAGAIN', 'CLUSTERDOWN', 'READONLY', 'NOREPLICAS']);

type Props = { name?: unknown; code?: unknown; status?: unknown; retriable?: unknown; type?: unknown; cause?: unknown; errors?: unknown; message?: unknown };

const props = (e: unknown): Props => (typeof e === 'object' && e !== null ? e : {});

/**
 * The schema registry client (@kafkajs/confluent-schema-registry over mappersmith) throws a
 * `ResponseError` with the HTTP `status`. A request that got no HTTP answer at all (connection
 * refused or reset, timeout) is reported by mappersmith's gateway as status 400 (its
 * `dispatchClientError`); the Confluent API answers schema lookups 200, 404 or 5xx, never 400.
 */
function registryKind(status: number): FailureKind {
  if (status === 404) return 'bad-message'; // schema id unknown to the registry (error_code 40403)
  if (status === 400 || status === 408 || status === 429 || status >= 500) return 'outage';
  // 401/403: the registry refuses our credentials; a configuration problem, never the message's fault
  if (status === 401 || status === 403) return 'outage';
  return 'unknown';
}

function classifyOne(err: unknown, depth: number): FailureKind {
  if (depth > 8) return 'unknown';
  const e = props(err);
  const name = typeof e.name === 'string' ? e.name : '';
  if (err instanceof BadMessageError || err instanceof ZodError) return 'bad-message';

  // Postgres: a server error carries its SQLSTATE
  if (err instanceof DatabaseError) {
    const code = err.code ?? '';
    if (code.startsWith('08') || code.startsWith('53') || PG_OUTAGE_CODES.has(code)) return 'outage';
    if (code.startsWith('22')) return 'bad-message'; // data exception: a value of the message Postgres refuses
    return 'unknown';
  }

  // kafkajs
  if (name.startsWith('KafkaJS')) {
    if (KAFKA_OUTAGE_NAMES.has(name)) return 'outage';
    // retries exhausted or a non-retriable wrapper: what it wraps decides
    if (e.cause !== undefined && e.cause !== err) {
      const inner = classifyOne(e.cause, depth + 1);
      if (inner !== 'unknown') return inner;
    }
    if (name === 'KafkaJSNumberOfRetriesExceeded') return 'outage'; // what kafkajs retried was retriable
    return e.retriable === true ? 'outage' : 'unknown';
  }

  // the schema registry
  if (name === 'ResponseError' && typeof e.status === 'number') return registryKind(e.status);
  if (name === 'ConfluentSchemaRegistryArgumentError' || name === 'ConfluentSchemaRegistryValidationError') return 'bad-message';

  // Redis (ioredis)
  if (name === 'MaxRetriesPerRequestError' || name === 'AbortError') return 'outage';
  if (name === 'ReplyError' && typeof e.message === 'string' && REDIS_OUTAGE_REPLIES.has(e.message.split(' ', 1)[0]!)) return 'outage';

  // sockets, DNS, fetch (undici puts the socket error in `cause`), Node's AggregateError of several addresses
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return 'outage';
  if (name === 'TimeoutError') return 'outage'; // AbortSignal.timeout(), mappersmith
  if (Array.isArray(e.errors) && e.errors.length > 0) {
    const kinds = e.errors.map((x) => classifyOne(x, depth + 1));
    if (kinds.every((k) => k === 'outage')) return 'outage';
  }
  if (e.cause !== undefined && e.cause !== err) return classifyOne(e.cause, depth + 1);
  return 'unknown';
}

/** Outage, bad message or unknown: see the top of this file. */
export function classifyFailure(err: unknown): FailureKind {
  return classifyOne(err, 0);
}

export const isOutage = (err: unknown): boolean => classifyFailure(err) === 'outage';
export const isBadMessage = (err: unknown): boolean => classifyFailure(err) === 'bad-message';

/** A short text of an error for a dead letter's reason or a log line (never a stack). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface Backoff { baseMs: number; capMs: number }

export const DEFAULT_BACKOFF: Backoff = { baseMs: 250, capMs: 30_000 };

/**
 * The pause before retry `attempt` (1 = the first retry): base x 2^(attempt-1), capped, with "equal
 * jitter" (half fixed, half random) so that instances that failed together do not retry together.
 */
export function backoffDelay(attempt: number, backoff: Backoff = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exp = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Where a retry loop says that a dependency is out and when it is back (consumer-health.ts's tracker). */
export interface OutageReporter {
  outage(key: string, err: unknown): void;
  recovered(key: string): void;
}

export interface OutageRetryOptions {
  /** What is retried, for the log (e.g. "projector deals partition 2"). */
  what: string;
  logger: Logger;
  backoff?: Backoff;
  /** false once the work is no longer ours (consumer stopping, partition revoked): the retry ends unfinished. */
  active?: () => boolean;
  /**
   * kafkajs's payload.heartbeat, called while waiting so the member keeps its partitions. It throws
   * when the group rebalances: the retry then ends unfinished (the batch is redelivered to the owner).
   */
  heartbeat?: () => Promise<void>;
  reporter?: OutageReporter;
  /** The reporter's key (one per partition in flight); defaults to `what`. */
  key?: string;
  random?: () => number;
  /**
   * Which errors are waited out (default: outages only). A reactor whose remote system fails in ways
   * of its own (odoo-sink: Odoo, every failure of a slice) widens it.
   */
  retryable?: (err: unknown) => boolean;
}

export type Retried<T> = { done: true; value: T } | { done: false };

/** kafkajs protocol errors of a heartbeat that mean "this member no longer owns its partitions". */
const LOST_MEMBERSHIP = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID', 'NOT_COORDINATOR_FOR_GROUP']);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs `op` until it succeeds. An outage is waited out with backoff (logged, reported, heartbeating);
 * anything else is thrown at once: a bad message is the caller's to dead-letter, an unknown error is
 * kafkajs's to retry or crash on. Returns `{done: false}` when the work stopped being ours while
 * waiting: the caller returns without resolving an offset, so the batch is consumed again.
 */
export async function withOutageRetry<T>(op: () => Promise<T>, opts: OutageRetryOptions): Promise<Retried<T>> {
  const key = opts.key ?? opts.what;
  const active = opts.active ?? (() => true);
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await op();
      if (attempt > 1) {
        opts.reporter?.recovered(key);
        opts.logger.info({ what: opts.what, attempts: attempt }, 'dependency back: retry succeeded');
      }
      return { done: true, value };
    } catch (err) {
      if (!(opts.retryable ? opts.retryable(err) : classifyFailure(err) === 'outage')) {
        if (attempt > 1) opts.reporter?.recovered(key); // not an outage any more: whoever handles it reports
        throw err;
      }
      const delay = backoffDelay(attempt, opts.backoff, opts.random);
      opts.reporter?.outage(key, err);
      opts.logger.warn({ what: opts.what, attempt, delayMs: delay, err: errorText(err), errName: (err as { name?: string }).name }, 'dependency outage: waiting to retry, nothing dead-lettered or committed');
      const until = Date.now() + delay;
      while (Date.now() < until) {
        if (!active()) { opts.reporter?.recovered(key); return { done: false }; }
        await sleep(Math.min(500, until - Date.now()));
        if (opts.heartbeat) {
          try {
            await opts.heartbeat();
          } catch (hb) {
            const type = (hb as { type?: unknown }).type;
            if (typeof type === 'string' && LOST_MEMBERSHIP.has(type)) { opts.reporter?.recovered(key); return { done: false }; }
            // the broker itself is out: keep waiting, the group coordinator decides when we are gone
          }
        }
      }
      if (!active()) { opts.reporter?.recovered(key); return { done: false }; }
    }
  }
}

/**
 * Apicurio answers 409 ("A rule named 'COMPATIBILITY' already exists") when two instances register
 * the same new subject at the same moment; registering again finds the schema the other one made.
 */
export function isRegistrationRace(err: unknown): boolean {
  const e = props(err);
  return e.name === 'ResponseError' && e.status === 409;
}

export interface StartOptions {
  logger: Logger;
  /** Undoes a start that failed half-way (connections opened) before the next attempt. */
  reset?: () => Promise<void>;
  reporter?: OutageReporter;
  backoff?: Backoff;
}

/**
 * A service's start-up (topics, schemas, connections) waits out an outage of the broker, the registry
 * or Postgres with backoff instead of exiting: a service started or restarted while one is away comes
 * up when it returns (a crash loop would only add restarts). Any other error is thrown at once.
 */
export async function startWhenReachable<T>(what: string, start: () => Promise<T>, opts: StartOptions): Promise<T> {
  const started = await withOutageRetry(async () => {
    try {
      return await start();
    } catch (err) {
      await opts.reset?.().catch((resetErr: unknown) => opts.logger.warn({ what, err: errorText(resetErr) }, 'undoing a failed start-up failed'));
      throw err;
    }
  }, { what: `${what} start-up`, logger: opts.logger, backoff: opts.backoff, reporter: opts.reporter, retryable: (err) => isOutage(err) || isRegistrationRace(err) });
  if (!started.done) throw new Error(`${what}: start-up abandoned`); // only when told the work is no longer ours, which start-up never is
  return started.value;
}

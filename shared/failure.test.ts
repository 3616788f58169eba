import http from 'node:http';
import net from 'node:net';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import * as ioredisErrors from 'ioredis/built/errors';
import * as ioredis from 'ioredis';
import * as kafkajs from 'kafkajs';
import { Kafka, KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSRequestTimeoutError, logLevel } from 'kafkajs';
import { DatabaseError } from 'pg';
import { z } from 'zod';
import { UndecodableError } from './avro-codec';
import { BadMessageError, backoffDelay, classifyFailure, withOutageRetry, type OutageReporter } from './failure';
import { createLogger } from './logger';
import { AvroSerde } from './serde';
import { DURABLE_PRODUCER, createProducer } from './kafka';

// the real classes, some of which their type declarations leave out or type loosely
type ErrorClass<A extends unknown[]> = new (...args: A) => Error;
const { KafkaJSConnectionClosedError, KafkaJSNonRetriableError } = kafkajs as unknown as {
  KafkaJSConnectionClosedError: ErrorClass<[string, { host: string; port: number }]>; KafkaJSNonRetriableError: ErrorClass<[unknown, { cause: unknown }?]>;
};
const ReplyError = ioredis.ReplyError as ErrorClass<[string]>;
const MaxRetriesPerRequestError = ioredisErrors.MaxRetriesPerRequestError as unknown as ErrorClass<[number]>;

// kafkajs builds its protocol errors from the broker's error code; its own factory gives the real objects
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode(code: number): KafkaJSProtocolError };

const pgError = (code: string): DatabaseError => Object.assign(new DatabaseError('server said no', 0, 'error'), { code });

/** A local HTTP server answering every request with `answer` (or never, for 'hang'). */
async function server(answer: number | 'hang'): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const s = http.createServer((_req, res) => {
    if (answer === 'hang') return;
    res.writeHead(answer, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
    res.end(JSON.stringify(answer === 404 ? { error_code: 40403, message: 'Schema 7 not found' } : { error_code: 50001, message: 'unavailable' }));
  });
  s.on('connection', (c) => { sockets.add(c); c.on('close', () => sockets.delete(c)); });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => { for (const c of sockets) c.destroy(); s.close(() => r()); }) };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

const caught = async (p: Promise<unknown>): Promise<unknown> => p.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e);
const framed = (id: number) => Buffer.concat([Buffer.from([0]), Buffer.from([0, 0, 0, id]), Buffer.from([2, 3])]);
const noRetry = { retries: 0 };

describe('classifyFailure: the schema registry as @kafkajs/confluent-schema-registry reports it', () => {
  it('a 503, a 500, a 429, a refused connection and a timeout are outages; an unknown schema id (404 / 40403) is a bad message', async () => {
    for (const status of [503, 500, 429]) {
      const s = await server(status);
      const err = await caught(new SchemaRegistry({ host: s.url, retry: noRetry }).getSchema(7));
      expect([status, (err as { name: string }).name, classifyFailure(err)]).toEqual([status, 'ResponseError', 'outage']);
      await s.close();
    }
    const missing = await server(404);
    const err404 = await caught(new SchemaRegistry({ host: missing.url, retry: noRetry }).getSchema(7));
    expect(classifyFailure(err404)).toBe('bad-message');
    // the serde turns it into an UndecodableError naming the id
    const viaSerde = await caught(AvroSerde.create(missing.url).decode(framed(7)));
    expect(viaSerde).toBeInstanceOf(UndecodableError);
    expect((viaSerde as Error).message).toBe('unknown schema id 7');
    await missing.close();

    const refused = await caught(new SchemaRegistry({ host: `http://127.0.0.1:${await closedPort()}`, retry: noRetry }).getSchema(7));
    expect(classifyFailure(refused)).toBe('outage');
    expect(classifyFailure(await caught(AvroSerde.create(`http://127.0.0.1:${await closedPort()}`).decode(framed(7))))).toBe('outage');

    const hang = await server('hang');
    const started = Date.now();
    const timedOut = await caught(AvroSerde.create(hang.url, 300).decode(framed(7)));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(classifyFailure(timedOut)).toBe('outage');
    await hang.close();
  }, 30_000);

  it('bytes that are not framed Avro are a bad message without asking the registry', async () => {
    const serde = AvroSerde.create(`http://127.0.0.1:${await closedPort()}`);
    for (const bytes of [Buffer.from('{"json":true}'), Buffer.from([0, 1])]) {
      expect(classifyFailure(await caught(serde.decode(bytes)))).toBe('bad-message');
    }
  });
});

describe('classifyFailure: kafkajs', () => {
  it('connection, timeout and retriable protocol errors are outages, also wrapped in retries-exceeded', () => {
    const conn = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092', { broker: '127.0.0.1:9092', code: 'ECONNREFUSED' });
    expect(classifyFailure(conn)).toBe('outage');
    expect(classifyFailure(new KafkaJSConnectionClosedError('Closed connection', { host: '127.0.0.1', port: 9092 }))).toBe('outage');
    expect(classifyFailure(new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out'))).toBe('outage');
    const notLeader = createErrorFromCode(6); // NOT_LEADER_FOR_PARTITION, retriable
    expect([notLeader.type, classifyFailure(notLeader)]).toEqual(['NOT_LEADER_FOR_PARTITION', 'outage']);
    expect(classifyFailure(new KafkaJSNumberOfRetriesExceeded(conn, { retryCount: 10, retryTime: 30_000 }))).toBe('outage');
  });

  it('a non-retriable refusal (a message too large, an authorization failure) is neither: thrown to kafkajs, never dead-lettered', () => {
    const tooLarge = createErrorFromCode(10);
    expect([tooLarge.type, classifyFailure(tooLarge)]).toEqual(['MESSAGE_TOO_LARGE', 'unknown']);
    expect(classifyFailure(createErrorFromCode(29))).toBe('unknown'); // TOPIC_AUTHORIZATION_FAILED
    expect(classifyFailure(new KafkaJSNonRetriableError(tooLarge, { cause: tooLarge }))).toBe('unknown');
    // but a non-retriable wrapper of a connection error is still an outage
    expect(classifyFailure(new KafkaJSNonRetriableError('gave up', { cause: new KafkaJSConnectionError('down') }))).toBe('outage');
  });

  it('a real producer against a port nothing listens on fails with an outage', async () => {
    const kafka = new Kafka({ clientId: 'failure-test', brokers: [`127.0.0.1:${await closedPort()}`], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 50 }, connectionTimeout: 300 });
    const producer = createProducer(kafka);
    const err = await caught(producer.connect());
    expect(classifyFailure(err)).toBe('outage');
  });
});

describe('classifyFailure: Postgres by SQLSTATE', () => {
  it.each([
    ['08006', 'outage'], ['08001', 'outage'], ['57P01', 'outage'], ['57P02', 'outage'], ['57P03', 'outage'], ['53300', 'outage'], ['53100', 'outage'],
    ['40001', 'outage'], ['40P01', 'outage'], ['3D000', 'outage'],
    ['22P02', 'bad-message'], ['22003', 'bad-message'],
    ['23505', 'unknown'], ['42P01', 'unknown'], ['42703', 'unknown'],
  ])('%s is %s', (code, kind) => {
    expect(classifyFailure(pgError(code))).toBe(kind);
  });

  it('a refused connection (pg surfaces the socket error with its errno code) is an outage', async () => {
    const { Client } = await import('pg');
    const client = new Client({ host: '127.0.0.1', port: await closedPort(), user: 'x', database: 'x' });
    const err = await caught(client.connect());
    expect((err as { code?: string }).code).toBe('ECONNREFUSED');
    expect(classifyFailure(err)).toBe('outage');
  });
});

describe('classifyFailure: Redis, sockets, fetch, validation', () => {
  it('ioredis giving up on a command, and Redis replies LOADING / READONLY / MASTERDOWN, are outages; other replies are not', () => {
    expect(classifyFailure(new MaxRetriesPerRequestError(3))).toBe('outage');
    expect(classifyFailure(new ReplyError('LOADING Redis is loading the dataset in memory'))).toBe('outage');
    expect(classifyFailure(new ReplyError('READONLY You can\'t write against a read only replica.'))).toBe('outage');
    expect(classifyFailure(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe('unknown');
  });

  it('socket errors by errno code, a failed fetch by its cause, a timeout signal', async () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EAI_AGAIN']) {
      expect(classifyFailure(Object.assign(new Error('x'), { code }))).toBe('outage');
    }
    const fetchErr = await caught(fetch(`http://127.0.0.1:${await closedPort()}/`));
    expect([(fetchErr as Error).name, classifyFailure(fetchErr)]).toEqual(['TypeError', 'outage']);
    const slow = await server('hang');
    const timeoutErr = await caught(fetch(slow.url, { signal: AbortSignal.timeout(100) }));
    expect(classifyFailure(timeoutErr)).toBe('outage');
    await slow.close();
  });

  it('the message\'s own fault: undecodable bytes, a zod validation failure, a BadMessageError', () => {
    expect(classifyFailure(new UndecodableError('not Confluent-framed Avro'))).toBe('bad-message');
    expect(classifyFailure(z.object({ a: z.string() }).safeParse({ a: 1 }).error)).toBe('bad-message');
    expect(classifyFailure(new BadMessageError('mapping refused'))).toBe('bad-message');
  });

  it('decides by type and code, never by text: a plain error that SAYS "ECONNREFUSED" or "503" is unknown', () => {
    expect(classifyFailure(new Error('connect ECONNREFUSED 127.0.0.1:8081'))).toBe('unknown');
    expect(classifyFailure(new Error('Error, status 503'))).toBe('unknown');
    expect(classifyFailure(new TypeError('Cannot read properties of undefined'))).toBe('unknown');
    expect(classifyFailure('a string')).toBe('unknown');
    expect(classifyFailure(null)).toBe('unknown');
  });
});

describe('backoffDelay', () => {
  it('doubles from the base, is capped, and keeps half fixed and half random', () => {
    const b = { baseMs: 100, capMs: 1_000 };
    expect([1, 2, 3, 4, 5, 30, 1_000].map((a) => backoffDelay(a, b, () => 1))).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, b, () => 0))).toEqual([50, 100, 200, 400, 500]);
  });
});

describe('withOutageRetry', () => {
  const logger = createLogger('failure-test', 'silent');
  const fast = { baseMs: 5, capMs: 20 };
  const outage = () => new KafkaJSConnectionError('down');
  const reporter = () => {
    const open = new Set<string>();
    const r: OutageReporter & { open: Set<string>; seen: number } = { open, seen: 0, outage: (k) => { open.add(k); r.seen++; }, recovered: (k) => { open.delete(k); } };
    return r;
  };

  it('waits out an outage until the op succeeds, reporting it meanwhile and its end after', async () => {
    let calls = 0;
    const rep = reporter();
    const r = await withOutageRetry(async () => { if (++calls < 4) throw outage(); return 'done'; }, { what: 't', logger, backoff: fast, reporter: rep });
    expect(r).toEqual({ done: true, value: 'done' });
    expect([calls, rep.seen, rep.open.size]).toEqual([4, 3, 0]);
  });

  it('throws a bad message and an unknown error at once, without retrying', async () => {
    for (const err of [new UndecodableError('bad'), new TypeError('bug')]) {
      let calls = 0;
      await expect(withOutageRetry(async () => { calls++; throw err; }, { what: 't', logger, backoff: fast })).rejects.toBe(err);
      expect(calls).toBe(1);
    }
  });

  it('gives up unfinished when the work is no longer ours, or the heartbeat says the group rebalances', async () => {
    let active = true;
    const rep = reporter();
    const p = withOutageRetry(async () => { throw outage(); }, { what: 't', logger, backoff: { baseMs: 50, capMs: 50 }, active: () => active, reporter: rep });
    setTimeout(() => { active = false; }, 120);
    expect(await p).toEqual({ done: false });
    expect(rep.open.size).toBe(0);

    const rebalancing = createErrorFromCode(27); // REBALANCE_IN_PROGRESS
    const r = await withOutageRetry(async () => { throw outage(); }, { what: 't', logger, backoff: { baseMs: 600, capMs: 600 }, heartbeat: async () => { throw rebalancing; } });
    expect(r).toEqual({ done: false });
  });

  it('keeps waiting when the heartbeat fails because the broker itself is out', async () => {
    let calls = 0;
    const r = await withOutageRetry(async () => { if (++calls < 3) throw outage(); return calls; },
      { what: 't', logger, backoff: { baseMs: 600, capMs: 600 }, heartbeat: async () => { throw outage(); } });
    expect(r).toEqual({ done: true, value: 3 });
  });

  it('a wider rule retries what it names (odoo-sink: every failure of a slice)', async () => {
    let calls = 0;
    const r = await withOutageRetry(async () => { if (++calls < 3) throw new Error('odoo said 502'); return calls; }, { what: 't', logger, backoff: fast, retryable: () => true });
    expect(r).toEqual({ done: true, value: 3 });
  });
});

describe('producers: acks=all and idempotence everywhere', () => {
  it('the shared producer settings are idempotent with at most 5 requests in flight, and kafkajs then refuses any acks but all', async () => {
    expect(DURABLE_PRODUCER.idempotent).toBe(true);
    expect(DURABLE_PRODUCER.maxInFlightRequests).toBeLessThanOrEqual(5);
    const kafka = new Kafka({ clientId: 'acks-test', brokers: [`127.0.0.1:${await closedPort()}`], logLevel: logLevel.NOTHING });
    const producer = createProducer(kafka);
    const err = await caught(producer.send({ topic: 't', acks: 1, messages: [{ value: 'x' }] }));
    expect((err as Error).message).toMatch(/idempotent producer/);
  });
});

/**
 * Group commit for one cycle's changes. Stores hand in their encoded messages and what to remember
 * once Kafka has them; the publisher sends whatever has queued up in one request (both topics,
 * several stores) while the previous one is in flight — the idempotent producer has one produce
 * request in flight per broker anyway — and writes the remembered hashes of every acknowledged
 * store in one statement while the next request goes out.
 *
 * Guarantees kept from one send + one transaction per store: a store's hashes are written only
 * after every one of its messages was acknowledged (a crash in between republishes: at least
 * once); a store whose messages could not be sent or whose hashes could not be written fails alone
 * (a request rejected for its content is retried store by store before anyone is failed); a
 * store's messages keep their order; no request is bigger than `maxSendBytes`.
 */

export interface OutMessage { key: string; value: Buffer }
export interface TopicMessages { topic: string; messages: OutMessage[] }

export interface PublisherDeps<T> {
  /** One produce request (kafkajs `producer.sendBatch`). */
  send(topicMessages: TopicMessages[]): Promise<void>;
  /** Remembers what acknowledged stores published (one Postgres transaction). */
  remember(payloads: T[]): Promise<void>;
  /** Whether a failed request was refused for its content (then its stores are retried one by one). */
  isContentError(e: unknown): boolean;
  /** Bytes per request: every record batch in it stays under the broker's max.message.bytes. */
  maxSendBytes: number;
  /** Bytes handed in but not yet acknowledged before `submit` waits (bounds memory when fetching outruns Kafka). */
  maxQueuedBytes: number;
}

interface Job<T> { payload: T; chunksLeft: number; failed: boolean; resolve: () => void; reject: (e: unknown) => void }
interface Chunk<T> { job: Job<T>; topic: string; messages: OutMessage[]; bytes: number; alone: boolean }

/** Bytes a message takes in a request (value, key, record framing with room to spare). */
export const messageBytes = (m: OutMessage): number => m.value.length + m.key.length + 64;

/** A store's messages cut into pieces of at most `maxBytes` (a single bigger message is a piece alone). */
export function chunkBySize(messages: OutMessage[], maxBytes: number): Array<{ messages: OutMessage[]; bytes: number }> {
  const chunks: Array<{ messages: OutMessage[]; bytes: number }> = [];
  let current: OutMessage[] = [];
  let size = 0;
  for (const m of messages) {
    const bytes = messageBytes(m);
    if (current.length && size + bytes > maxBytes) { chunks.push({ messages: current, bytes: size }); current = []; size = 0; }
    current.push(m);
    size += bytes;
  }
  if (current.length) chunks.push({ messages: current, bytes: size });
  return chunks;
}

export function createPublisher<T>(deps: PublisherDeps<T>) {
  const queue: Array<Chunk<T>> = [];
  let queuedBytes = 0;
  const roomWaiters: Array<() => void> = [];
  let sending = false;
  const acknowledged: Array<Job<T>> = [];
  let remembering = false;

  const release = (bytes: number): void => {
    queuedBytes -= bytes;
    while (roomWaiters.length && queuedBytes < deps.maxQueuedBytes) roomWaiters.shift()!();
  };

  const fail = (job: Job<T>, e: unknown): void => {
    if (job.failed) return;
    job.failed = true;
    for (let i = queue.length - 1; i >= 0; i--) {
      if (queue[i]!.job === job) { release(queue[i]!.bytes); queue.splice(i, 1); }
    }
    job.reject(e);
  };

  const pumpRemember = (): void => {
    if (remembering || acknowledged.length === 0) return;
    remembering = true;
    const jobs = acknowledged.splice(0);
    deps.remember(jobs.map((j) => j.payload)).then(
      () => { for (const j of jobs) j.resolve(); },
      (e: unknown) => { for (const j of jobs) j.reject(e); },
    ).finally(() => { remembering = false; pumpRemember(); });
  };

  const pumpSend = (): void => {
    if (sending || queue.length === 0) return;
    const taken: Array<Chunk<T>> = [];
    let bytes = 0;
    // A chunk marked `alone` (a retry after a content error) goes in a request of its own.
    while (queue.length && (taken.length === 0 || (!queue[0]!.alone && !taken[0]!.alone && bytes + queue[0]!.bytes <= deps.maxSendBytes))) {
      const c = queue.shift()!;
      taken.push(c);
      bytes += c.bytes;
    }
    const byTopic = new Map<string, OutMessage[]>();
    for (const c of taken) {
      const list = byTopic.get(c.topic);
      if (list) for (const m of c.messages) list.push(m);
      else byTopic.set(c.topic, [...c.messages]);
    }
    sending = true;
    deps.send([...byTopic].map(([topic, messages]) => ({ topic, messages }))).then(
      () => {
        release(bytes);
        for (const c of taken) {
          if (c.job.failed) continue;
          if (--c.job.chunksLeft === 0) acknowledged.push(c.job);
        }
      },
      (e: unknown) => {
        const jobs = new Set(taken.map((c) => c.job));
        if (jobs.size > 1 && deps.isContentError(e)) {
          // Which store's messages were refused is not known: each tries again on its own.
          queue.unshift(...taken.filter((c) => !c.job.failed).map((c) => ({ ...c, alone: true })));
          release(bytes - taken.filter((c) => !c.job.failed).reduce((n, c) => n + c.bytes, 0));
          return;
        }
        release(bytes);
        for (const j of jobs) fail(j, e);
      },
    ).finally(() => { sending = false; pumpSend(); pumpRemember(); });
  };

  return {
    /**
     * Queues one store's messages (non-empty) and what to remember once they are all acknowledged.
     * Resolves when they are queued (waiting while too much is in flight) with `done`, which settles
     * once they are acknowledged and remembered, or with the reason they were not.
     */
    async submit(topic: string, messages: OutMessage[], payload: T): Promise<{ done: Promise<void> }> {
      if (messages.length === 0) throw new Error('publisher: nothing to submit');
      while (queuedBytes >= deps.maxQueuedBytes) await new Promise<void>((r) => roomWaiters.push(r));
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const done = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
      done.catch(() => undefined); // the caller reads the outcome; a failure before it looks is not "unhandled"
      const chunks = chunkBySize(messages, deps.maxSendBytes);
      const job: Job<T> = { payload, chunksLeft: chunks.length, failed: false, resolve, reject };
      for (const c of chunks) {
        queue.push({ job, topic, messages: c.messages, bytes: c.bytes, alone: false });
        queuedBytes += c.bytes;
      }
      pumpSend();
      return { done };
    },
  };
}
export type Publisher<T> = ReturnType<typeof createPublisher<T>>;

import { chunkBySize, createPublisher, messageBytes, type OutMessage, type TopicMessages } from './publisher';

const msg = (key: string, bytes = 100): OutMessage => ({ key, value: Buffer.alloc(bytes) });
const keysOf = (req: TopicMessages[]) => req.flatMap((t) => t.messages.map((m) => `${t.topic}:${m.key}`));

/** A fake Kafka whose requests are settled by the test, and a fake Postgres that records what it remembered. */
function given(opts: { maxSendBytes?: number; maxQueuedBytes?: number; contentError?: (e: unknown) => boolean } = {}) {
  const requests: Array<{ body: TopicMessages[]; ok: () => void; fail: (e: Error) => void }> = [];
  const remembered: string[][] = [];
  let rememberFails: Error | undefined;
  const publisher = createPublisher<string>({
    send: (body) => new Promise<void>((ok, fail) => { requests.push({ body, ok, fail }); }),
    remember: (payloads) => { if (rememberFails) return Promise.reject(rememberFails); remembered.push(payloads); return Promise.resolve(); },
    isContentError: opts.contentError ?? (() => false),
    maxSendBytes: opts.maxSendBytes ?? 10_000,
    maxQueuedBytes: opts.maxQueuedBytes ?? 1_000_000,
  });
  const tick = () => new Promise((r) => setImmediate(r));
  const settled = (p: Promise<void>) => p.then(() => 'done', (e: Error) => `failed: ${e.message}`);
  return { publisher, requests, remembered, tick, settled, failRemember: (e: Error) => { rememberFails = e; } };
}

describe('publisher (group commit of a cycle\'s changes)', () => {
  it('sends what queued up behind the request in flight as one request, and remembers a store only after its messages are acknowledged', async () => {
    const { publisher, requests, remembered, tick, settled } = given();
    const a = await publisher.submit('dutchie', [msg('a1'), msg('a2')], 'A');
    const b = await publisher.submit('dutchie', [msg('b1')], 'B');
    const c = await publisher.submit('ptl', [msg('c1')], 'C');
    expect(requests).toHaveLength(1); // A went out at once; B and C wait for it
    expect(keysOf(requests[0]!.body)).toEqual(['dutchie:a1', 'dutchie:a2']);
    expect(remembered).toEqual([]);
    requests[0]!.ok();
    await tick();
    expect(remembered).toEqual([['A']]);
    expect(requests).toHaveLength(2);
    expect(keysOf(requests[1]!.body)).toEqual(['dutchie:b1', 'ptl:c1']); // both topics, one request
    requests[1]!.ok();
    expect(await Promise.all([a.done, b.done, c.done].map(settled))).toEqual(['done', 'done', 'done']);
    expect(remembered).toEqual([['A'], ['B', 'C']]);
  });

  it('keeps requests under maxSendBytes, a store\'s messages in order, and remembers a store cut in pieces once, after its last piece', async () => {
    const { publisher, requests, remembered, tick, settled } = given({ maxSendBytes: 3 * messageBytes(msg('x1')) });
    const a = await publisher.submit('t', ['x1', 'x2', 'x3', 'x4', 'x5'].map((k) => msg(k)), 'A');
    for (let i = 0; i < 3 && requests[i]; i++) {
      expect(requests[i]!.body.flatMap((t) => t.messages).reduce((n, m) => n + messageBytes(m), 0)).toBeLessThanOrEqual(3 * messageBytes(msg('x1')));
      if (i === 0) expect(remembered).toEqual([]);
      requests[i]!.ok();
      await tick();
    }
    expect(requests.flatMap((r) => keysOf(r.body))).toEqual(['t:x1', 't:x2', 't:x3', 't:x4', 't:x5']);
    expect(await settled(a.done)).toBe('done');
    expect(remembered).toEqual([['A']]);
  });

  it('a request that fails fails its stores (nothing remembered for them); the others go on', async () => {
    const { publisher, requests, remembered, tick, settled } = given({ maxSendBytes: 2 * messageBytes(msg('a1')) });
    const a = await publisher.submit('t', [msg('a1'), msg('a2'), msg('a3')], 'A'); // two pieces
    requests[0]!.fail(new Error('broker down'));
    await tick();
    const b = await publisher.submit('t', [msg('b1')], 'B');
    expect(await settled(a.done)).toBe('failed: broker down');
    expect(requests.flatMap((r) => keysOf(r.body))).toEqual(['t:a1', 't:a2', 't:b1']); // A's second piece is dropped
    requests[1]!.ok();
    expect(await settled(b.done)).toBe('done');
    expect(remembered).toEqual([['B']]);
  });

  it('a request refused for its content is retried store by store, so only the store at fault fails', async () => {
    const refused = new Error('MESSAGE_TOO_LARGE');
    const { publisher, requests, remembered, tick, settled } = given({ contentError: (e) => e === refused });
    await publisher.submit('t', [msg('first')], 'first');
    const a = await publisher.submit('t', [msg('a1')], 'A');
    const bad = await publisher.submit('t', [msg('bad')], 'BAD');
    requests[0]!.ok();
    await tick();
    expect(keysOf(requests[1]!.body)).toEqual(['t:a1', 't:bad']);
    requests[1]!.fail(refused);
    await tick();
    expect(keysOf(requests[2]!.body)).toEqual(['t:a1']);
    requests[2]!.ok();
    await tick();
    expect(keysOf(requests[3]!.body)).toEqual(['t:bad']);
    requests[3]!.fail(refused);
    expect(await settled(a.done)).toBe('done');
    expect(await settled(bad.done)).toBe('failed: MESSAGE_TOO_LARGE');
    expect(remembered.flat()).toEqual(['first', 'A']);
  });

  it('a failed hash write fails the stores it carried', async () => {
    const { publisher, requests, settled, failRemember } = given();
    failRemember(new Error('postgres down'));
    const a = await publisher.submit('t', [msg('a1')], 'A');
    requests[0]!.ok();
    expect(await settled(a.done)).toBe('failed: postgres down');
  });

  it('submit waits while maxQueuedBytes are handed in but not acknowledged (fetching cannot outrun Kafka without bound)', async () => {
    const { publisher, requests, tick } = given({ maxQueuedBytes: 2 * messageBytes(msg('a1')) });
    await publisher.submit('t', [msg('a1'), msg('a2')], 'A');
    let accepted = false;
    const b = publisher.submit('t', [msg('b1')], 'B').then((r) => { accepted = true; return r; });
    await tick();
    expect(accepted).toBe(false);
    requests[0]!.ok();
    await tick();
    expect(accepted).toBe(true);
    await b;
  });

  it('cuts a store\'s messages into pieces of at most maxBytes (a bigger message alone)', () => {
    const one = messageBytes(msg('k'));
    expect(chunkBySize([msg('k'), msg('k'), msg('k')], 2 * one).map((c) => c.messages.length)).toEqual([2, 1]);
    expect(chunkBySize([msg('k'), msg('k', 5000), msg('k')], 2 * one).map((c) => c.messages.length)).toEqual([1, 1, 1]);
  });
});

import { createLogger } from './logger';
import { createShutdown } from './shutdown';

describe('createShutdown', () => {
  it('runs the closers once, in reverse order of registration, even if one fails', async () => {
    const order: string[] = [];
    const shutdown = createShutdown(createLogger('test', 'silent'));
    shutdown.add('clients', async () => { order.push('clients'); });
    shutdown.add('commit', async () => { order.push('commit'); throw new Error('boom'); });
    shutdown.add('consumer', async () => { order.push('consumer'); });
    await Promise.all([shutdown.run('SIGTERM'), shutdown.run('SIGINT')]);
    expect(order).toEqual(['consumer', 'commit', 'clients']);
  });
});

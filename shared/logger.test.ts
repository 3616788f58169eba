import { Writable } from 'node:stream';
import { createLogger, safeUrl } from './logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { lines.push(chunk.toString()); cb(); } });
  return { lines, logger: createLogger('svc', 'info', stream) };
}

describe('logger', () => {
  it('writes JSON lines with the service name', () => {
    const { lines, logger } = capture();
    logger.info({ locationId: 'x' }, 'hello');
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ service: 'svc', msg: 'hello', locationId: 'x' });
  });

  it('redacts secrets by key, top level and nested', () => {
    const { lines, logger } = capture();
    logger.info({ apiKey: 'k-123456', password: 'p-123456', request: { headers: { authorization: 'Basic abc' } }, login: { Password: 'x-123456' } }, 'call');
    const text = lines.join('');
    for (const secret of ['k-123456', 'p-123456', 'Basic abc', 'x-123456']) expect(text).not.toContain(secret);
  });

  it('masks credentials in URLs', () => {
    expect(safeUrl('postgres://user:hunter2@db:5432/x')).not.toContain('hunter2');
  });
});

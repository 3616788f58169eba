import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fc from 'fast-check';
import { nativeCrc32c } from './kafka-crc32c';

const ROOT = path.resolve(__dirname, '..');
// jest's own module registry: this is kafkajs's JavaScript CRC32C, untouched
// eslint-disable-next-line @typescript-eslint/no-require-imports
const javascriptCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;

/** What a plain node process (as the services run) finds in kafkajs after loading shared/kafka. */
function inChild(env: NodeJS.ProcessEnv = {}): { mode: string; native: boolean; batchCrcOk: boolean } {
  const script = `
    require('./shared/kafka');
    const { kafkajsCrc32c } = require('./shared/kafka-crc32c');
    const used = require('kafkajs/src/protocol/recordBatch/crc32C/index.js');
    const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
    const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
    (async () => {
      const batch = await RecordBatch({ records: [Record({ key: Buffer.from('k'), value: Buffer.from('x'.repeat(3000)) })] });
      const buf = batch.buffer;
      // the batch's crc field (at 17) covers everything after itself (from 21)
      const ok = buf.readUInt32BE(17) === used(buf.subarray(21));
      console.log(JSON.stringify({ mode: kafkajsCrc32c, native: used.native === true, batchCrcOk: ok }));
    })();`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { mode: string; native: boolean; batchCrcOk: boolean };
}

describe('native CRC32C for kafkajs', () => {
  const native = nativeCrc32c();

  it('loads on this platform and gives the same checksums as kafkajs\'s JavaScript function', () => {
    expect(native).toBeDefined();
    expect(native!(Buffer.from('123456789'))).toBe(0xe3069283); // the CRC-32C check value
    fc.assert(fc.property(fc.uint8Array({ maxLength: 5000 }), (bytes) => {
      const b = Buffer.from(bytes);
      expect(native!(b)).toBe(javascriptCrc32c(b));
    }), { numRuns: 500 });
  });

  it('is the function kafkajs checksums record batches with, once shared/kafka is loaded', () => {
    expect(inChild()).toEqual({ mode: 'native', native: true, batchCrcOk: true });
  });

  it('can be switched off (KAFKAJS_NATIVE_CRC32C=off): kafkajs keeps its own', () => {
    expect(inChild({ KAFKAJS_NATIVE_CRC32C: 'off' })).toEqual({ mode: 'javascript', native: false, batchCrcOk: true });
  });
});

/**
 * A native CRC32C for kafkajs. kafkajs checksums every record batch it produces with a JavaScript
 * CRC32C (a table lookup per byte: ~2 KB per canonical deal, a few percent of the normaliser's CPU).
 * `@node-rs/crc32` (a registry package with prebuilt binaries, SSE4.2 / ARMv8 CRC instructions)
 * computes the same checksum natively. It is put in place of kafkajs's module through require's cache,
 * before kafkajs is loaded (shared/kafka.ts imports this file first), so nothing in node_modules is
 * patched. `KAFKAJS_NATIVE_CRC32C=off` keeps kafkajs's own function (to compare); on a platform
 * without the binary the JavaScript one stays too.
 */
import Module, { createRequire } from 'node:module';

const CRC_MODULE = 'kafkajs/src/protocol/recordBatch/crc32C/index.js';
const req = createRequire(__filename);

export type Crc32c = (buffer: Buffer) => number;

/** The native function (unsigned, as kafkajs's), or undefined when the binary does not load. */
export function nativeCrc32c(): Crc32c | undefined {
  try {
    const { crc32c } = req('@node-rs/crc32') as { crc32c: (input: Buffer, initial?: number) => number };
    const fn: Crc32c = (buffer) => crc32c(buffer) >>> 0;
    return Object.defineProperty(fn, 'native', { value: true });
  } catch {
    return undefined;
  }
}

/** Which CRC32C kafkajs got: 'native', 'javascript' (switched off / no binary), or 'too late' (kafkajs was loaded first). */
export let kafkajsCrc32c: 'native' | 'javascript' | 'too late' = 'javascript';

function install(): void {
  if (process.env.KAFKAJS_NATIVE_CRC32C === 'off') return;
  const native = nativeCrc32c();
  if (!native) return;
  // kafkajs's record batch encoder takes its reference once, when it is loaded: after that, too late
  if (req.cache[req.resolve('kafkajs/src/protocol/recordBatch/v0/index.js')]) { kafkajsCrc32c = 'too late'; return; }
  const file = req.resolve(CRC_MODULE);
  const mod = new Module(file);
  mod.filename = file;
  mod.loaded = true;
  mod.exports = native;
  req.cache[file] = mod;
  kafkajsCrc32c = 'native';
}

install();

/**
 * Synchronous Confluent-framed Avro for whole batches (normaliser and projector). The registry
 * client awaits a schema lookup per message; here the schema ids of a batch are resolved once
 * (`prepare`, one await, normally a cache hit) and every message is then decoded/encoded without
 * an await.
 */
import { BadMessageError, classifyFailure } from './failure';
import type { AvroSerde } from './serde';

interface AvroType { encode(value: unknown, buffer: Buffer, pos: number): number; fromBuffer(buffer: Buffer): unknown }

/** The bytes are at fault (a bad message, shared/failure.ts): not framed, unknown schema id, body not of its schema. */
export class UndecodableError extends BadMessageError {
  override readonly name: string = 'UndecodableError';
}

const MAGIC = 0;

/** The schema id of a Confluent-framed value, or null when it is not framed. */
export function schemaIdOf(value: Buffer | null): number | null {
  if (!value || value.length < 5 || value[0] !== MAGIC) return null;
  return value.readInt32BE(1);
}

export class BatchAvroCodec {
  private readonly types = new Map<number, AvroType>();
  private readonly unknown = new Set<number>();
  private scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(private readonly serde: AvroSerde) {}

  /** Loads the schemas of these values. A schema the registry does not have makes them undecodable; any other registry failure throws (the batch is retried, nothing goes to the DLQ). */
  async prepare(values: Iterable<Buffer | null>): Promise<void> {
    const missing = new Set<number>();
    for (const v of values) {
      const id = schemaIdOf(v);
      if (id !== null && !this.types.has(id) && !this.unknown.has(id)) missing.add(id);
    }
    await Promise.all([...missing].map(async (id) => {
      try {
        this.types.set(id, await this.serde.registry.getSchema(id) as unknown as AvroType); // for AVRO the registry hands back an avsc Type
      } catch (e) {
        if (classifyFailure(e) === 'bad-message') this.unknown.add(id); // the registry does not know the id (404)
        else throw e; // an outage (or unknown): the batch is retried, nothing goes to the DLQ
      }
    }));
  }

  decode(value: Buffer | null): unknown {
    if (value === null) throw new UndecodableError('empty value');
    const id = schemaIdOf(value);
    if (id === null) throw new UndecodableError('not Confluent-framed Avro (magic byte / length)');
    const type = this.types.get(id);
    if (!type) throw new UndecodableError(`unknown schema id ${id}`);
    try {
      return type.fromBuffer(value.subarray(5));
    } catch (e) {
      throw new UndecodableError(`Avro body does not match schema ${id}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Encodes with schema `id` (load it first): header and body written into one scratch buffer, then copied once. */
  encode(id: number, value: object): Buffer {
    const type = this.types.get(id);
    if (!type) throw new Error(`schema ${id} not loaded`);
    for (;;) {
      const scratch = this.scratch;
      scratch[0] = MAGIC;
      scratch.writeInt32BE(id, 1);
      const end = type.encode(value, scratch, 5);
      if (end > 0) return Buffer.from(scratch.subarray(0, end));
      this.scratch = Buffer.allocUnsafe(scratch.length * 2 - end); // avsc returns minus the missing bytes
    }
  }

  async load(id: number): Promise<void> {
    if (!this.types.has(id)) this.types.set(id, await this.serde.registry.getSchema(id) as unknown as AvroType); // for AVRO the registry hands back an avsc Type
  }
}

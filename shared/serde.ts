/**
 * Avro serde over a Confluent-compatible schema registry (Confluent wire format: magic byte 0,
 * 4-byte schema id, Avro body). Schemas are read from schemas/*.avsc and registered at start-up
 * under the TopicNameStrategy subject `{topic}-value`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { UndecodableError, schemaIdOf } from './avro-codec';
import { classifyFailure } from './failure';
import { ROOT } from './paths';

/**
 * A registry request that gets no answer in this time fails (an outage, retried by the consumer)
 * instead of holding a batch for ever; the client itself retries 5xx a few times within it.
 */
export const REGISTRY_TIMEOUT_MS = 10_000;

type RegistryMiddleware = NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']>[number];

/** mappersmith's request-phase middleware shape (as its TimeoutMiddleware): a timeout on every registry request. */
const requestTimeout = (ms: number): RegistryMiddleware => (() => ({
  async prepareRequest(next: () => Promise<{ timeout(): number | undefined; enhance(o: { timeout: number }): unknown }>) {
    const request = await next();
    return request.timeout() ? request : request.enhance({ timeout: ms });
  },
})) as unknown as RegistryMiddleware;

export const SCHEMAS_DIR = path.join(ROOT, 'schemas');

interface AvroRecordSchema { type: 'record'; name: string; namespace?: string }

/** Every schema in schemas/, by full name (namespace.name). */
export function loadSchemas(dir = SCHEMAS_DIR): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.avsc')).sort()) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const parsed = JSON.parse(text) as AvroRecordSchema;
    const fullName = parsed.namespace ? `${parsed.namespace}.${parsed.name}` : parsed.name;
    out.set(fullName, text);
  }
  return out;
}

export class AvroSerde {
  private readonly ids = new Map<string, number>();

  constructor(readonly registry: SchemaRegistry, private readonly schemas: Map<string, string> = loadSchemas()) {}

  static create(registryUrl: string, timeoutMs = REGISTRY_TIMEOUT_MS): AvroSerde {
    return new AvroSerde(new SchemaRegistry({ host: registryUrl, middlewares: [requestTimeout(timeoutMs)] }, { forSchemaOptions: { wrapUnions: false } }));
  }

  /** Registers `schemaName` for `topic` (idempotent; BACKWARD compatibility) and remembers its id. */
  async register(topic: string, schemaName: string): Promise<number> {
    const schema = this.schemas.get(schemaName);
    if (!schema) throw new Error(`no schema ${schemaName} in schemas/`);
    const { id } = await this.registry.register({ type: SchemaType.AVRO, schema }, { subject: `${topic}-value` });
    this.ids.set(topic, id);
    return id;
  }

  /** Encodes with the schema registered for `topic` (call register first). */
  async encode(topic: string, value: unknown): Promise<Buffer> {
    const id = this.ids.get(topic);
    if (id === undefined) throw new Error(`no schema registered for topic ${topic}`);
    return this.registry.encode(id, value);
  }

  /**
   * Decodes any Confluent-framed Avro message (the writer schema is fetched by id and cached). The
   * message's fault is an UndecodableError (not framed, schema id unknown to the registry, body not of
   * its schema); a registry that does not answer throws its own error, an outage (shared/failure.ts).
   */
  async decode(buffer: Buffer): Promise<unknown> {
    const id = schemaIdOf(buffer);
    if (id === null) throw new UndecodableError('not Confluent-framed Avro (magic byte / length)');
    let type: { fromBuffer(b: Buffer): unknown };
    try {
      type = await this.registry.getSchema(id); // for AVRO an avsc Type
    } catch (e) {
      if (classifyFailure(e) === 'bad-message') throw new UndecodableError(`unknown schema id ${id}`);
      throw e;
    }
    try {
      return type.fromBuffer(buffer.subarray(5));
    } catch (e) {
      throw new UndecodableError(`Avro body does not match schema ${id}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/**
 * Avro serde over a Confluent-compatible schema registry (Confluent wire format: magic byte 0,
 * 4-byte schema id, Avro body). Schemas are read from schemas/*.avsc and registered at start-up
 * under the TopicNameStrategy subject `{topic}-value`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { ROOT } from './paths';

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

  static create(registryUrl: string): AvroSerde {
    return new AvroSerde(new SchemaRegistry({ host: registryUrl }, { forSchemaOptions: { wrapUnions: false } }));
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

  /** Decodes any Confluent-framed Avro message (the writer schema is fetched by id and cached). */
  async decode(buffer: Buffer): Promise<unknown> {
    return (await this.registry.decode(buffer)) as unknown;
  }
}

/**
 * The raw deal event in the Confluent wire format (magic byte 0, 4-byte schema id, Avro body),
 * written synchronously into one buffer sized up front. Same schema text and avsc options as
 * AvroSerde (so the same bytes as `serde.encode`), without a promise and a retried write plus
 * two copies per event: the record text is most of each message and 100k of them go out a cycle.
 */
import avsc from 'avsc';
import type { DealRawEvent } from '../../shared/events';
import { loadSchemas } from '../../shared/serde';
import { TOPICS } from '../../shared/topics';

export type RawEventEncoder = (event: DealRawEvent) => Buffer;

let rawType: avsc.Type | undefined;
function dealRawEventType(): avsc.Type {
  if (rawType) return rawType;
  const schema = loadSchemas().get(TOPICS.rawDutchie.schema);
  if (!schema) throw new Error(`no schema ${TOPICS.rawDutchie.schema} in schemas/`);
  rawType = avsc.Type.forSchema(JSON.parse(schema) as avsc.Schema, { wrapUnions: false });
  return rawType;
}

// Varints of lengths, enums, union branches, the long and the header, with room to spare.
const FIXED_BYTES = 5 + 64;

/** An encoder for events registered under `schemaId` (the id `serde.register` returned for the topic). */
export function rawEventEncoder(schemaId: number): RawEventEncoder {
  const type = dealRawEventType();
  return (event) => {
    // UTF-8 needs at most 3 bytes per UTF-16 unit; only the long record text is measured exactly.
    const short = event.eventId.length + event.locationId.length + event.discountId.length + (event.contentHash?.length ?? 0) + event.market.length + event.timeZone.length;
    const buf = Buffer.allocUnsafe(FIXED_BYTES + short * 3 + (event.record === null ? 0 : Buffer.byteLength(event.record)));
    buf[0] = 0;
    buf.writeInt32BE(schemaId, 1);
    const end = type.encode(event, buf, 5);
    if (end < 0) throw new Error(`raw event encoder: buffer ${-end} bytes short`); // sizing bug, never data
    return buf.subarray(0, end);
  };
}

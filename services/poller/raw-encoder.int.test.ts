import type { DealRawEvent } from '../../shared/events';
import { TOPICS } from '../../shared/topics';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { rawEventEncoder } from './raw-encoder';

describe('raw event encoder (against the real schema registry)', () => {
  let world: TestWorld;
  beforeAll(async () => { world = await createTestWorld('raw-encoder'); });
  afterAll(async () => { await world.close(); });

  const upsert: DealRawEvent = {
    eventId: '0a1b2c3d-4e5f-5a6b-a7c8-d9e0f1a2b3c4', source: 'dutchie', api: 'pos', locationId: '3f6b0a52-8c1d-4e2a-9b7f-5d0c1e2a6b91',
    discountId: '365034', op: 'upsert', fetchedAt: 1_795_291_348_005, contentHash: 'f'.repeat(64),
    record: `{"id":365034,"onlineName":"Caf\u00e9 \u{1F33F} 20% off","discountValue":5.0,"x":"${'y'.repeat(5000)}"}`,
    market: 'AZ', timeZone: 'America/Phoenix', posLocId: 1568,
  };
  const remove: DealRawEvent = { ...upsert, source: 'ptl', api: 'odoo', discountId: 'ptl_7', op: 'remove', contentHash: null, record: null, posLocId: null };

  it('writes the same bytes as the registry serde (Confluent framing, schema id, Avro body), which decode back', async () => {
    const topic = `${world.topicPrefix}${TOPICS.rawDutchie.name}`;
    const id = await world.serde.register(topic, TOPICS.rawDutchie.schema);
    const encode = rawEventEncoder(id);
    for (const event of [upsert, remove]) {
      const bytes = encode(event);
      expect(bytes.equals(await world.serde.encode(topic, event))).toBe(true);
      expect(await world.serde.decode(bytes)).toEqual(event);
    }
  });
});

import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { locationPartitioner } from './kafka';

const partitions: PartitionMetadata[] = Array.from({ length: 6 }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));

describe('locationPartitioner', () => {
  const partition = locationPartitioner();
  const pick = (key: string) => partition({ topic: 't', partitionMetadata: partitions, message: { key, value: null } });

  it('puts every deal of a location on the partition of the location alone', () => {
    const loc = '7f0e7a4e-1d1c-4b35-9d43-2f6f6f0a1a11';
    const expected = pick(loc);
    for (const id of [1, 2, 3, 99, 123456]) expect(pick(`${loc}_${id}`)).toBe(expected);
  });

  it('spreads different locations over the partitions', () => {
    const used = new Set(Array.from({ length: 60 }, (_, i) => pick(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}_1`)));
    expect(used.size).toBeGreaterThan(3);
  });

  it('gives a location the partition the Java-compatible murmur2 gives its id, for each partition count', () => {
    const murmur = Partitioners.DefaultPartitioner();
    const meta = (n: number) => partitions.slice(0, n);
    const loc = '7f0e7a4e-1d1c-4b35-9d43-2f6f6f0a1a11';
    for (const n of [6, 3, 6, 1, 5]) {
      const expected = murmur({ topic: 't', partitionMetadata: meta(n), message: { key: loc, value: null } });
      for (const id of [1, 2]) expect(partition({ topic: 't', partitionMetadata: meta(n), message: { key: `${loc}_${id}`, value: null } })).toBe(expected);
    }
    expect(partition({ topic: 't', partitionMetadata: partitions, message: { key: `${loc}_1`, partition: 4, value: null } })).toBe(4);
  });
});

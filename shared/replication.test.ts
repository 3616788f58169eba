import { ConfigError } from './config';
import { requiredConfigs } from './kafka';
import { defaultMinInsync, replicationFromEnv } from './replication';
import { TOPICS } from './topics';

describe('production topic settings', () => {
  it('defaults to one replica locally (min.insync.replicas 1)', () => {
    expect(replicationFromEnv({})).toEqual({ replicationFactor: 1, minInsyncReplicas: 1 });
  });

  it('derives min.insync.replicas 2 for a 3-broker cluster, RF-1 from 3 on, 1 below', () => {
    expect(replicationFromEnv({ KAFKA_REPLICATION_FACTOR: '3' })).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect([1, 2, 3, 4, 5].map(defaultMinInsync)).toEqual([1, 1, 2, 3, 4]);
  });

  it('takes an explicit min.insync.replicas, and refuses one above the replication factor or nonsense', () => {
    expect(replicationFromEnv({ KAFKA_REPLICATION_FACTOR: '5', KAFKA_MIN_INSYNC_REPLICAS: '3' })).toEqual({ replicationFactor: 5, minInsyncReplicas: 3 });
    expect(() => replicationFromEnv({ KAFKA_REPLICATION_FACTOR: '1', KAFKA_MIN_INSYNC_REPLICAS: '2' })).toThrow(/KAFKA_MIN_INSYNC_REPLICAS/);
    expect(() => replicationFromEnv({ KAFKA_REPLICATION_FACTOR: '0' })).toThrow(ConfigError);
    expect(() => replicationFromEnv({ KAFKA_REPLICATION_FACTOR: 'three' })).toThrow(/KAFKA_REPLICATION_FACTOR/);
  });

  it('every topic requires its min.insync.replicas beside its own configs', () => {
    const repl = { replicationFactor: 3, minInsyncReplicas: 2 };
    expect(requiredConfigs(TOPICS.rawDutchie, repl)).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1', 'min.insync.replicas': '2' });
    expect(requiredConfigs(TOPICS.discounts, repl)).toMatchObject({ 'cleanup.policy': 'compact', 'min.insync.replicas': '2' });
    expect(requiredConfigs(TOPICS.loyaltyRedemptions, repl)).toEqual({ 'min.insync.replicas': '2' });
  });
});

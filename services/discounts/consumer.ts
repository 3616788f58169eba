/**
 * Reactor on loyalty.redemptions.v1: each redemption becomes an applyLoyaltyDiscount audit record
 * (idempotent by redemption id). Undecodable or invalid messages, and redemptions the engine
 * rejects, go to discounts.dlq.v1 with reason and origin headers, and the consumer goes on.
 * An outage (registry timeout or 5xx, Postgres or the broker away) is never the message's fault: the
 * message is retried in place with backoff (offset not committed, nothing dead-lettered), so a real
 * redemption is never lost; any other failure is thrown to kafkajs (shared/failure.ts).
 */
import { dlqHeaders } from '../../shared/dlq';
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { z } from 'zod';
import type { Logger } from '../../shared/logger';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, topicName } from '../../shared/topics';
import { createConsumerHealth, type ConsumerHealth } from '../../shared/consumer-health';
import { classifyFailure, errorText, withOutageRetry } from '../../shared/failure';
import { DiscountsError } from './errors';
import type { Discounts } from './service';

const DECIMAL = /^\d{1,14}(\.\d{1,6})?$/;

/** The Avro record, checked for what Avro cannot say (uuids, decimal text). */
export const redemption = z.object({
  redemptionId: z.uuid(),
  businessId: z.uuid(),
  customerId: z.string().min(1),
  entityType: z.string().min(1).max(100),
  entityId: z.uuid(),
  lineId: z.string().min(1).max(255).nullable(),
  points: z.number().int().min(0),
  amount: z.string().regex(DECIMAL, 'amount must be a decimal string'),
  employeeId: z.uuid().nullable(),
  reason: z.string().max(2000).nullable(),
  redeemedAt: z.number().int(),
});

export interface ConsumerDeps {
  kafka: Kafka;
  serde: AvroSerde;
  discounts: Discounts;
  /** for the DLQ */
  producer: Producer;
  topicPrefix: string;
  logger: Logger;
  /** The service's consumer health (/health): the consumer is watched there as `loyalty`. */
  health?: ConsumerHealth;
}

export function createRedemptionConsumer(deps: ConsumerDeps) {
  const { kafka, serde, discounts, producer, topicPrefix, logger } = deps;
  const source = topicName(topicPrefix, TOPICS.loyaltyRedemptions);
  const dlq = topicName(topicPrefix, TOPICS.discountsDlq);
  let consumer: Consumer | undefined;

  async function deadLetter(message: KafkaMessage, partition: number, reason: string): Promise<void> {
    logger.warn({ topic: source, partition, offset: message.offset, reason }, 'redemption sent to the DLQ');
    await producer.send({
      topic: dlq,
      messages: [{
        key: message.key, value: message.value,
        headers: dlqHeaders({ topic: source, partition, offset: message.offset }, reason, 'discounts'),
      }],
    });
  }

  async function handle(message: KafkaMessage, partition: number): Promise<void> {
    if (!message.value) return deadLetter(message, partition, 'empty value');
    let decoded: unknown;
    try {
      decoded = await serde.decode(message.value);
    } catch (e) {
      if (classifyFailure(e) !== 'bad-message') throw e; // the registry away: retried, never dead-lettered
      return deadLetter(message, partition, `undecodable: ${errorText(e)}`.slice(0, 500));
    }
    const parsed = redemption.safeParse(decoded);
    if (!parsed.success) {
      return deadLetter(message, partition, `invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`.slice(0, 500));
    }
    const r = parsed.data;
    try {
      const result = await discounts.applyLoyaltyDiscount({
        redemptionId: r.redemptionId, businessId: r.businessId, entityType: r.entityType, entityId: r.entityId, lineId: r.lineId,
        amount: r.amount, points: r.points, employeeId: r.employeeId, reason: r.reason,
      });
      logger.debug({ redemptionId: r.redemptionId, result: result.kind }, 'redemption recorded');
    } catch (e) {
      if (e instanceof DiscountsError) return deadLetter(message, partition, `${e.code}: ${e.message}`);
      if (classifyFailure(e) === 'bad-message') return deadLetter(message, partition, `refused by the database: ${errorText(e)}`.slice(0, 500));
      throw e;
    }
  }
  let stopping = false;

  return {
    async start(): Promise<void> {
      const c = kafka.consumer({ groupId: `${topicPrefix}discounts-loyalty-redemptions` });
      consumer = c;
      const watch = (deps.health ?? createConsumerHealth({ logger })).watch('loyalty', c);
      stopping = false;
      await c.connect();
      await c.subscribe({ topic: source, fromBeginning: true });
      await c.run({
        eachMessage: async (payload) => {
          const { message, partition } = payload;
          const r = await withOutageRetry(() => handle(message, partition), {
            what: `loyalty ${source}[${partition}]@${message.offset}`, key: `${source}:${partition}`, logger, reporter: watch,
            active: () => !stopping, heartbeat: () => payload.heartbeat(),
          });
          // eachMessage commits what returns: a message given up while waiting must throw, so it is not committed
          if (!r.done) throw new Error(`redemption at ${source}[${partition}]@${message.offset} not processed: consumer stopping or rebalancing`);
        },
      });
    },
    async stop(): Promise<void> {
      stopping = true;
      await consumer?.disconnect();
    },
  };
}

/** Dead-lettering: the original key and bytes, with the reason and origin in headers. */
import type { Producer } from 'kafkajs';

export interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  reason: string;
  origin: { topic: string; partition: number; offset: string };
}

export const DLQ_HEADERS = {
  reason: 'dlq-reason', topic: 'dlq-origin-topic', partition: 'dlq-origin-partition', offset: 'dlq-origin-offset', service: 'dlq-service',
} as const;

export async function sendToDlq(producer: Producer, dlqTopic: string, service: string, letters: readonly DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  await producer.send({
    topic: dlqTopic,
    messages: letters.map((l) => ({
      key: l.key, value: l.value,
      headers: {
        [DLQ_HEADERS.reason]: l.reason.slice(0, 2000), [DLQ_HEADERS.topic]: l.origin.topic,
        [DLQ_HEADERS.partition]: String(l.origin.partition), [DLQ_HEADERS.offset]: l.origin.offset, [DLQ_HEADERS.service]: service,
      },
    })),
  });
}

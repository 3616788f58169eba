/** Dead-lettering for the projector: sends the original bytes with the shared origin headers. */
import type { IHeaders, Producer } from 'kafkajs';
import { dlqMessage, type Origin } from '../../shared/dlq';

export { DLQ_HEADERS } from '../../shared/dlq';

export interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  /** the original message's headers, kept (a redrive's count travels in them) */
  headers?: IHeaders;
  reason: string;
  origin: Origin;
}

export async function sendToDlq(producer: Producer, dlqTopic: string, service: string, letters: readonly DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  await producer.send({
    topic: dlqTopic,
    messages: letters.map((l) => dlqMessage(l, l.origin, l.reason, service)),
  });
}

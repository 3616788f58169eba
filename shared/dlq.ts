/**
 * Dead-letter messages, the same in every service: the original key and value bytes, untouched,
 * with why and where from in headers, so a fixed consumer (or a person) can replay them.
 */
import type { IHeaders, Message } from 'kafkajs';

export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  topic: 'dlq-origin-topic',
  partition: 'dlq-origin-partition',
  offset: 'dlq-origin-offset',
  service: 'dlq-service',
} as const;

export interface Origin { topic: string; partition: number; offset: string }

/** Origin headers for a dead letter (plus any service-specific ones in `extra`). */
export function dlqHeaders(origin: Origin, reason: string, service: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    // Header values are bytes: keep the reason bounded so one bad record cannot make a huge message.
    [DLQ_HEADERS.reason]: reason.slice(0, 2000),
    [DLQ_HEADERS.topic]: origin.topic,
    [DLQ_HEADERS.partition]: String(origin.partition),
    [DLQ_HEADERS.offset]: origin.offset,
    [DLQ_HEADERS.service]: service,
    ...extra,
  };
}

export function dlqMessage(original: { key: Buffer | null; value: Buffer | null; headers?: IHeaders }, origin: Origin, reason: string, service: string): Message {
  return {
    key: original.key,
    value: original.value,
    headers: { ...original.headers, ...dlqHeaders(origin, reason, service) },
  };
}

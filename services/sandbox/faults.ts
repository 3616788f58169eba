/**
 * Fault injection for the sandbox's endpoints: latency, an HTTP status (5xx, 503…), a timeout (the
 * request is never answered), a truncated JSON body, and 429 bursts with Retry-After. A fault can be
 * limited to one LSP / location / Odoo model, to a number of requests, or to a duration.
 */
import type { Response } from 'express';
import { z } from 'zod';

export const ENDPOINTS = ['pos.list', 'backoffice.login', 'backoffice.get-discount', 'odoo.jsonrpc', 'cms.stores'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export const FaultInput = z.object({
  endpoint: z.enum(ENDPOINTS),
  kind: z.enum(['latency', 'status', 'timeout', 'truncate', 'rate_limit']),
  /** only requests for this LSP (POS key / Backoffice LspId) */
  lspId: z.number().int().optional(),
  /** only Backoffice requests for this LocId */
  locId: z.number().int().optional(),
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  status: z.number().int().min(400).max(599).optional(),
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  /** how many matching requests it affects (default: all until removed) */
  count: z.number().int().min(1).optional(),
  /** how long it lasts (default: until removed) */
  durationMs: z.number().int().min(1).optional(),
}).strict();
export type FaultInput = z.infer<typeof FaultInput>;

export interface Fault extends FaultInput { id: number; until?: number; remaining?: number }

export interface FaultContext { lspId?: number; locId?: number }

export class FaultBox {
  private faults: Fault[] = [];
  private nextId = 1;
  /** requests held open by `timeout` faults, ended when the server closes */
  readonly hanging = new Set<Response>();

  constructor(private readonly now: () => number = Date.now) {}

  add(input: FaultInput): Fault {
    const f: Fault = { ...input, id: this.nextId++, until: input.durationMs ? this.now() + input.durationMs : undefined, remaining: input.count };
    this.faults.push(f);
    return f;
  }

  list(): Fault[] { return this.faults.filter((f) => this.alive(f)); }

  remove(id?: number): void { this.faults = id === undefined ? [] : this.faults.filter((f) => f.id !== id); }

  private alive(f: Fault): boolean { return (f.until === undefined || f.until > this.now()) && (f.remaining === undefined || f.remaining > 0); }

  /** The faults that apply to this request (and consumes one use of each). */
  take(endpoint: Endpoint, ctx: FaultContext): Fault[] {
    const hits = this.faults.filter((f) => f.endpoint === endpoint && this.alive(f)
      && (f.lspId === undefined || f.lspId === ctx.lspId) && (f.locId === undefined || f.locId === ctx.locId));
    for (const f of hits) if (f.remaining !== undefined) f.remaining -= 1;
    this.faults = this.faults.filter((f) => this.alive(f));
    return hits;
  }

  /**
   * Applies the faults of a request before its real answer. Returns 'answered' when a fault
   * answered (or will never answer), 'truncate' when the body must be cut, else 'go'.
   */
  async apply(endpoint: Endpoint, ctx: FaultContext, res: Response): Promise<'answered' | 'truncate' | 'go'> {
    const hits = this.take(endpoint, ctx);
    let outcome: 'truncate' | 'go' = 'go';
    for (const f of hits) {
      switch (f.kind) {
        case 'latency': await new Promise((r) => setTimeout(r, f.latencyMs ?? 1000)); break;
        case 'status':
          res.status(f.status ?? 500).json({ error: 'injected fault', status: f.status ?? 500 });
          return 'answered';
        case 'rate_limit':
          res.status(429).set('Retry-After', String(f.retryAfterSeconds ?? 1)).json({ error: 'Too Many Requests' });
          return 'answered';
        case 'timeout':
          this.hanging.add(res);
          res.on('close', () => this.hanging.delete(res));
          return 'answered';
        case 'truncate': outcome = 'truncate'; break;
        default: { const _exhaustive: never = f.kind; return _exhaustive; }
      }
    }
    return outcome;
  }
}

/** Sends `body` as JSON, or its first half with a JSON content type when `truncate`. */
export function sendJson(res: Response, body: unknown, truncate: boolean, status = 200): void {
  const text = JSON.stringify(body);
  res.status(status).type('application/json').send(truncate ? text.slice(0, Math.max(1, Math.floor(text.length / 2))) : text);
}

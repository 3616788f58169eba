/**
 * Sandbox Dutchie Backoffice: `POST /api/user/login` (session id + `LLSession` cookie) and
 * `POST /api/v2/discount/get-discount` / `get-discount-by-id`, answering the PascalCase record in the
 * `{Result, Data, Message}` envelope. A missing, unknown or expired session is a 401.
 */
import { randomBytes } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { toBackoffice } from './dutchie-record';
import { sendJson, type FaultBox } from './faults';
import type { DutchieState } from './state';

const Login = z.object({ Username: z.string(), Password: z.string(), RememberMe: z.boolean().optional() });
const Call = z.object({
  SessionId: z.string(), LspId: z.number().int(), OrgId: z.number().int(), UserId: z.number().int(),
  LocId: z.number().int().optional(), IncludeInactive: z.boolean().optional(), DiscountId: z.number().int().optional(),
});

export class Sessions {
  private readonly sessions = new Map<string, number>();
  constructor(private readonly ttlMs: number, private readonly now: () => number = Date.now) {}
  open(): string {
    const id = randomBytes(16).toString('hex');
    this.sessions.set(id, this.now() + this.ttlMs);
    return id;
  }
  valid(id: string): boolean { return (this.sessions.get(id) ?? 0) > this.now(); }
  expireAll(): number { const n = this.sessions.size; this.sessions.clear(); return n; }
  count(): number { return this.sessions.size; }
}

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

const envelope = (Data: unknown, Message: string | null = null, Result = true) => ({ Result, Data, Message });
const invalid = (res: Response, e: z.ZodError): void => {
  res.status(400).json(envelope(null, `Invalid request: ${e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, false));
};

export function backofficeRouter(state: DutchieState, faults: FaultBox, sessions: Sessions): Router {
  const r = Router();
  r.post('/api/user/login', async (req, res) => {
    if (await faults.apply('backoffice.login', {}, res) === 'answered') return;
    const body = Login.safeParse(req.body);
    if (!body.success) { invalid(res, body.error); return; }
    if (req.headers.appname !== 'Backoffice') { res.status(400).json(envelope(null, 'Missing appname header', false)); return; }
    const u = state.backofficeUser;
    if (body.data.Username !== u.username || body.data.Password !== u.password) {
      res.status(401).json(envelope(null, 'Invalid username or password', false));
      return;
    }
    const sid = sessions.open();
    res.cookie('LLSession', sid, { httpOnly: true, path: '/' }).json(envelope({ SessionId: sid, UserId: u.userId }));
  });

  const discounts = (byId: boolean) => async (req: Request, res: Response): Promise<void> => {
    const body = Call.safeParse(req.body);
    if (!body.success) { invalid(res, body.error); return; }
    const { SessionId, LspId, OrgId, UserId, LocId, IncludeInactive, DiscountId } = body.data;
    if (cookie(req, 'LLSession') !== SessionId || !sessions.valid(SessionId) || UserId !== state.backofficeUser.userId) {
      res.status(401).json(envelope(null, 'Session expired or invalid. Please log in again.', false));
      return;
    }
    const fault = await faults.apply('backoffice.get-discount', { lspId: LspId, locId: LocId }, res);
    if (fault === 'answered') return;
    // Every store of the organisation is in Backoffice, POS-read ones too (their fallback when a key is revoked).
    const stores = state.stores.filter((s) => s.lspId === LspId && s.orgId === OrgId);
    if (!stores.length || (LocId !== undefined && !stores.some((s) => s.posLocId === LocId))) {
      res.status(403).json(envelope(null, 'You do not have access to this organization or location', false));
      return;
    }
    if (byId) {
      const deal = state.deals(LspId).find((d) => d.id === DiscountId && (IncludeInactive !== false || d.isActive));
      if (!deal) { res.status(404).json(envelope(null, `Discount ${DiscountId ?? '?'} not found`, false)); return; }
      sendJson(res, envelope(toBackoffice(deal)), fault === 'truncate');
      return;
    }
    const text = state.backofficeListBody(LspId, IncludeInactive !== false);
    res.status(200).type('application/json').send(fault === 'truncate' ? text.slice(0, Math.floor(text.length / 2)) : text);
  };
  r.post('/api/v2/discount/get-discount', discounts(false));
  r.post('/api/v2/discount/get-discount-by-id', discounts(true));
  return r;
}

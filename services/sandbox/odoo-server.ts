/**
 * The sandbox Odoo over HTTP: `POST /jsonrpc` (Odoo's external API) and the admin routes the tests
 * and other engineers use to inspect records, count calls and inject record-level faults.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { FaultBox } from './faults';
import { sendJson } from './faults';
import { handleRpc, rpcError, RpcRequest, type OdooAuth } from './odoo-rpc';
import { PtlDealInput, publishPtlDeal } from './odoo-ptl';
import { OdooError, type OdooStore } from './odoo-store';

export function odooRpcRouter(store: OdooStore, auth: OdooAuth, faults: FaultBox): Router {
  const r = Router();
  r.post('/jsonrpc', async (req: Request, res: Response) => {
    const fault = await faults.apply('odoo.jsonrpc', {}, res);
    if (fault === 'answered') return;
    const parsed = RpcRequest.safeParse(req.body);
    if (!parsed.success) {
      // Odoo answers a malformed JSON-RPC envelope with a JSON-RPC error too; we add the 400.
      res.status(400).json(rpcError(null, 'werkzeug.exceptions.BadRequest', `invalid JSON-RPC request: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 400));
      return;
    }
    sendJson(res, handleRpc(store, auth, parsed.data), fault === 'truncate');
  });
  return r;
}

const ValidationFaultInput = z.object({ model: z.string().default('mint.discount'), match: z.record(z.string(), z.unknown()), message: z.string().default('injected validation error') }).strict();

/** Admin routes under /admin/odoo (no Odoo auth: the sandbox is a test double). */
export function odooAdminRouter(store: OdooStore, now: () => Date): Router {
  const r = Router();
  const fail = (res: Response, e: unknown): void => {
    if (e instanceof OdooError) res.status(e.odooName === 'odoo.exceptions.MissingError' ? 404 : 400).json({ error: e.odooName, reason: e.message });
    else if (e instanceof z.ZodError) res.status(400).json({ error: 'invalid body', reason: e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    else throw e;
  };
  r.get('/records/:model', (req, res) => {
    try {
      const domain = typeof req.query.domain === 'string' ? JSON.parse(req.query.domain) as unknown : [];
      const records = store.records(req.params.model, domain);
      res.json({ count: records.length, records });
    } catch (e) {
      if (e instanceof SyntaxError) res.status(400).json({ error: 'invalid domain', reason: e.message });
      else fail(res, e);
    }
  });
  r.get('/records/:model/:id', (req, res) => {
    try { res.json(store.read(req.params.model, [Number(req.params.id)])[0]); } catch (e) { fail(res, e); }
  });
  r.post('/records/:model', (req, res) => {
    try { res.status(201).json({ id: store.create(req.params.model, req.body) }); } catch (e) { fail(res, e); }
  });
  r.patch('/records/:model/:id', (req, res) => {
    try { store.write(req.params.model, [Number(req.params.id)], req.body); res.json({ ok: true }); } catch (e) { fail(res, e); }
  });
  r.delete('/records/:model/:id', (req, res) => {
    try { store.unlink(req.params.model, [Number(req.params.id)]); res.json({ ok: true }); } catch (e) { fail(res, e); }
  });
  r.post('/ptl-deals', (req, res) => {
    try { res.status(201).json(publishPtlDeal(store, PtlDealInput.parse(req.body), now())); } catch (e) { fail(res, e); }
  });
  r.get('/calls', (_req, res) => { res.json({ counts: store.callCounts() }); });
  r.delete('/calls', (_req, res) => { store.resetCalls(); res.json({ ok: true }); });
  r.get('/validation-faults', (_req, res) => { res.json({ faults: store.validationFaults }); });
  r.post('/validation-faults', (req, res) => {
    try { store.validationFaults.push(ValidationFaultInput.parse(req.body)); res.status(201).json({ faults: store.validationFaults }); } catch (e) { fail(res, e); }
  });
  r.delete('/validation-faults', (_req, res) => { store.validationFaults = []; res.json({ ok: true }); });
  return r;
}

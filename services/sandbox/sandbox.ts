/**
 * The whole sandbox, wired: Dutchie state + POS + Backoffice, Odoo store + JSON-RPC, fault box,
 * and the admin API (mounted at /admin on all three servers, so any port reaches it).
 */
import { DateTime } from 'luxon';
import { Router, type Express, type Request, type Response } from 'express';
import { z } from 'zod';
import { lspCatalog, locationProducts, prng, subSeed } from './catalog';
import { backofficeRouter, Sessions } from './dutchie-backoffice';
import { posRouter, RateLimiter } from './dutchie-pos';
import { PosDiscount } from './dutchie-record';
import { FaultBox, FaultInput } from './faults';
import { InventoryState } from './inventory';
import { sandboxInventoryRoutes } from './inventory-routes';
import { generateDeal } from './generate';
import { jsonApp, jsonErrors, listen, type RunningServer } from './http';
import type { OdooAuth } from './odoo-rpc';
import { odooAdminRouter, odooRpcRouter } from './odoo-server';
import { marketId, publishPtlDeal } from './odoo-ptl';
import { OdooStore } from './odoo-store';
import { Cms, CmsEntry, CmsStoreFields, type CmsStore } from './cms';
import { seedCatalog } from './odoo-catalog';
import { DEFAULT_STATE, DutchieState, StateError, type StateOptions } from './state';
import { MARKETS, type SandboxStore } from './stores';

export interface SandboxOptions extends Partial<StateOptions> {
  now?: () => Date;
  posRateLimitPerMinute?: number;
  backofficeSessionTtlMs?: number;
  odoo?: Partial<OdooAuth>;
  /** PTL deals seeded per market (0 for none) */
  ptlDealsPerMarket?: number;
  /** share (0-1) of each store's products the chain's Odoo catalog describes (images, description, effects...) */
  catalogShare?: number;
}

export interface SandboxPorts { pos: number; backoffice: number; odoo: number; cms?: number }
export interface RunningSandbox {
  urls: { pos: string; backoffice: string; odoo: string; cms: string };
  servers: Record<keyof SandboxPorts, RunningServer>;
  close(): Promise<void>;
}

/** What a poller (or a test) needs to talk to the sandbox: store rows and credentials. */
export interface SandboxDirectory {
  locations: SandboxStore[];
  posKeys: Record<string, string>;
  backoffice: { username: string; password: string };
  odoo: OdooAuth;
  /** each POS store's own key, by LocId (the CMS lists them as `dutchieApiKey`) */
  storeKeys: Record<string, string>;
  /** the CMS's API token (`STORES_API_TOKEN`) */
  cms: { token: string };
}

/** Poller env for a sandbox (also usable from `GET /admin/stores` of a sandbox in another process). */
export function pollerEnvFrom(d: Pick<SandboxDirectory, 'posKeys' | 'backoffice'> & { odoo: Pick<SandboxDirectory['odoo'], 'db' | 'login' | 'apiKey'> }, urls: Pick<RunningSandbox['urls'], 'pos' | 'backoffice' | 'odoo'>): NodeJS.ProcessEnv {
  return {
    DUTCHIE_POS_URL: urls.pos, DUTCHIE_BACKOFFICE_URL: urls.backoffice, ODOO_URL: urls.odoo,
    DUTCHIE_BACKOFFICE_USERNAME: d.backoffice.username, DUTCHIE_BACKOFFICE_PASSWORD: d.backoffice.password,
    ODOO_DB: d.odoo.db, ODOO_LOGIN: d.odoo.login, ODOO_API_KEY: d.odoo.apiKey,
    ...Object.fromEntries(Object.entries(d.posKeys).map(([lsp, key]) => [`DUTCHIE_POS_API_KEY_${lsp}`, key])),
  };
}

export class Sandbox {
  readonly state: DutchieState;
  readonly odoo: OdooStore;
  readonly cms: Cms;
  readonly faults = new FaultBox();
  readonly inventory: InventoryState;
  readonly sessions: Sessions;
  readonly limiter: RateLimiter;
  readonly odooAuth: OdooAuth;
  private readonly now: () => Date;
  private running: RunningSandbox | undefined;

  constructor(opts: SandboxOptions = {}) {
    this.now = opts.now ?? (() => new Date());
    const { now: _now, posRateLimitPerMinute, backofficeSessionTtlMs, odoo, ptlDealsPerMarket, catalogShare, ...stateOpts } = opts;
    this.state = new DutchieState({ ...DEFAULT_STATE, nowMs: this.now().getTime(), ...stateOpts });
    this.odoo = new OdooStore(undefined, () => this.now());
    this.cms = new Cms(this.state.options.seed, () => this.now());
    this.inventory = new InventoryState(this.state.options.seed, (posLocId) => this.state.stores.find((s) => s.posLocId === posLocId));
    this.sessions = new Sessions(backofficeSessionTtlMs ?? 24 * 3600_000, () => this.now().getTime());
    this.limiter = new RateLimiter(posRateLimitPerMinute ?? 120, () => this.now().getTime());
    this.odooAuth = { db: 'mint', login: 'dealstream@mint.test', apiKey: `odoo_${this.state.options.seed}_sandbox_key`, uid: 2, ...odoo };
    this.seedOdoo(ptlDealsPerMarket ?? 3);
    for (const s of this.state.stores) {
      this.cms.addStore(s, this.state.storeKeys.get(s.posLocId));
      seedCatalog(this.odoo, this.state.options.seed, s, this.inventory.list(s.posLocId) ?? [], catalogShare ?? 0.3);
    }
  }

  /**
   * The chain opens a store in an existing LSP: in Dutchie (its own POS key when the LSP is read
   * through POS), in Odoo (`mint.store`) and in the CMS (active). Returns the store and its CMS entry.
   */
  openStore(input: { lspId: number; name?: string; city?: string }): { store: SandboxStore; entry: CmsStore } {
    const store = this.state.addStore(input);
    store.odooStoreId = this.odoo.create('mint.store', { name: store.name, market_id: marketId(this.odoo, store.state), dutchie_loc_id: store.posLocId }) as number;
    return { store, entry: this.cms.addStore(store, this.state.storeKeys.get(store.posLocId)) };
  }

  /** Env that points a poller's store directory at this running sandbox's CMS. */
  directoryEnv(): NodeJS.ProcessEnv {
    if (!this.running) throw new Error('sandbox is not started');
    return { STORES_API_URL: `${this.running.urls.cms}/api/stores`, STORES_API_TOKEN: this.cms.token };
  }

  /** Markets, one mint.store per store (its id becomes the store's odooStoreId), PTL deals per market. */
  private seedOdoo(ptlPerMarket: number): void {
    for (const s of this.state.stores) {
      s.odooStoreId = this.odoo.create('mint.store', { name: s.name, market_id: marketId(this.odoo, s.state), dutchie_loc_id: s.posLocId }) as number;
    }
    const seedDate = this.now();
    for (const m of MARKETS) {
      const stores = this.state.stores.filter((s) => s.state === m.state);
      if (!stores.length) continue;
      const today = DateTime.fromJSDate(seedDate, { zone: m.timeZone }).startOf('day');
      const brands = lspCatalog(this.state.options.seed, stores[0]!.lspId).brands;
      const plans = [
        { name: `PTL ${m.state} 20% off everything`, discount_value: 20, store_ids: [] as number[], brand_ids: [] as number[], from: -2, to: 12, weekdays: undefined },
        { name: `PTL ${m.state} 25% off ${brands[0]!.name} (weekends)`, discount_value: 25, store_ids: [], brand_ids: [brands[0]!.id], from: -7, to: 21, weekdays: [4, 5, 6] },
        { name: `PTL ${stores[0]!.name} $5 off`, discount_type: 'fixed' as const, discount_value: 5, store_ids: [stores[0]!.odooStoreId], brand_ids: [], from: 0, to: 6, weekdays: undefined },
      ].slice(0, ptlPerMarket);
      for (const p of plans) {
        publishPtlDeal(this.odoo, {
          name: p.name, market: m.state, discount_type: p.discount_type ?? 'percent', discount_value: p.discount_value, store_ids: p.store_ids,
          brand_ids: p.brand_ids, weekdays: p.weekdays, date_start: today.plus({ days: p.from }).toISODate()!, date_end: today.plus({ days: p.to }).toISODate()!,
        }, seedDate);
      }
    }
  }

  directory(): SandboxDirectory {
    return {
      locations: this.state.locations(),
      posKeys: Object.fromEntries([...this.state.posKeys].map(([lsp, key]) => [String(lsp), key])),
      backoffice: { username: this.state.backofficeUser.username, password: this.state.backofficeUser.password },
      odoo: this.odooAuth,
      storeKeys: Object.fromEntries([...this.state.storeKeys].map(([loc, key]) => [String(loc), key])),
      cms: { token: this.cms.token },
    };
  }

  /** Env for a poller pointed at this running sandbox (URLs, POS keys, Backoffice and Odoo credentials). */
  pollerEnv(): NodeJS.ProcessEnv {
    if (!this.running) throw new Error('sandbox is not started');
    return pollerEnvFrom(this.directory(), this.running.urls);
  }

  /** A new generated deal for an LSP (next free id), not yet added. */
  newDeal(lspId: number): z.infer<typeof PosDiscount> {
    const store = this.state.stores.find((s) => s.lspId === lspId);
    if (!store) throw new StateError(404, `no LSP ${lspId} in the sandbox`);
    const ids = this.state.deals(lspId).map((d) => d.id);
    const id = Math.max(lspId * 100000, ...ids) + 1;
    const locIds = this.state.stores.filter((s) => s.lspId === lspId).map((s) => s.posLocId);
    const input = { seed: this.state.options.seed, lspId, locIds, timeZone: store.timeZone, count: 1, nowMs: this.now().getTime() };
    return generateDeal(prng(subSeed(this.state.options.seed, 'new', id)), input, lspCatalog(input.seed, lspId), id);
  }

  /** Inventory: POS /reporting/inventory and Backoffice get-inventory, one record per package. */
  private inventoryRouter(): Router {
    return sandboxInventoryRoutes({
      storesOfKey: (key) => this.state.storesOfKey(key),
      inventory: (posLocId) => this.inventory.list(posLocId),
      now: () => this.now().getTime(),
      backofficeSession: (body) => this.sessions.valid(body.SessionId) && this.state.stores.some((s) => s.posLocId === body.LocId && s.lspId === body.LspId),
    });
  }

  adminRouter(): Router {
    const r = Router();
    const lsp = (v: string): number => { const n = Number(v); if (!Number.isInteger(n)) throw new StateError(400, `bad LSP id ${v}`); return n; };
    const guard = (fn: (req: Request, res: Response) => void) =>
      (req: Request, res: Response): void => {
        try { fn(req, res); } catch (e) {
          if (e instanceof StateError) res.status(e.status).json({ error: e.status === 404 ? 'not found' : 'bad request', reason: e.message });
          else if (e instanceof z.ZodError) res.status(400).json({ error: 'invalid body', reason: e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
          else throw e;
        }
      };
    r.get('/stores', guard((_req, res) => { res.json(this.directory()); }));
    r.get('/catalog/:lspId', guard((req, res) => {
      const c = lspCatalog(this.state.options.seed, lsp(req.params.lspId as string));
      const products = Object.fromEntries(this.state.stores.filter((s) => s.lspId === c.lspId).map((s) => [s.posLocId, locationProducts(this.state.options.seed, c, s.posLocId)]));
      res.json({ ...c, products });
    }));
    r.get('/lsps/:lspId/deals', guard((req, res) => { const deals = this.state.deals(lsp(req.params.lspId as string)); res.json({ count: deals.length, deals }); }));
    r.get('/lsps/:lspId/deals/:id', guard((req, res) => {
      const d = this.state.deals(lsp(req.params.lspId as string)).find((x) => x.id === Number(req.params.id));
      if (!d) throw new StateError(404, `no deal ${String(req.params.id)}`);
      res.json(d);
    }));
    r.post('/lsps/:lspId/deals', guard((req, res) => {
      const id = lsp(req.params.lspId as string);
      const body = req.body as Record<string, unknown> | undefined;
      const deal = body && Object.keys(body).length ? PosDiscount.parse({ ...this.newDeal(id), ...body }) : this.newDeal(id);
      this.state.putDeal(id, deal);
      res.status(201).json(deal);
    }));
    r.put('/lsps/:lspId/deals/:id', guard((req, res) => {
      const deal = PosDiscount.parse({ ...(req.body as object), id: Number(req.params.id) });
      this.state.putDeal(lsp(req.params.lspId as string), deal);
      res.json(deal);
    }));
    r.patch('/lsps/:lspId/deals/:id', guard((req, res) => {
      res.json(this.state.patchDeal(lsp(req.params.lspId as string), Number(req.params.id), z.record(z.string(), z.unknown()).parse(req.body)));
    }));
    r.delete('/lsps/:lspId/deals/:id', guard((req, res) => { this.state.removeDeal(lsp(req.params.lspId as string), Number(req.params.id)); res.json({ ok: true }); }));
    r.put('/lsps/:lspId/deals', guard((req, res) => {
      this.state.replaceDeals(lsp(req.params.lspId as string), z.array(PosDiscount).parse(req.body));
      res.json({ ok: true });
    }));
    const locId = (v: unknown): number => { const n = Number(v); if (!Number.isInteger(n)) throw new StateError(400, `bad LocId ${String(v)}`); return n; };
    const packageOf = (req: Request): [number, number] => {
      const inventoryId = Number(req.params.inventoryId);
      if (!Number.isInteger(inventoryId)) throw new StateError(400, `bad inventoryId ${String(req.params.inventoryId)}`);
      return [locId(req.params.posLocId), inventoryId];
    };
    r.get('/stores/:posLocId/inventory', guard((req, res) => {
      const items = this.inventory.list(locId(req.params.posLocId));
      if (items === undefined) throw new StateError(404, `no store ${String(req.params.posLocId)}`);
      res.json({ count: items.length, items });
    }));
    r.patch('/stores/:posLocId/inventory/:inventoryId', guard((req, res) => {
      const [loc, id] = packageOf(req);
      const next = this.inventory.patch(loc, id, z.record(z.string(), z.unknown()).parse(req.body));
      if (next === undefined) throw new StateError(404, `no package ${id} in store ${loc}`);
      res.json(next);
    }));
    r.put('/stores/:posLocId/inventory/:inventoryId', guard((req, res) => {
      const [loc, id] = packageOf(req);
      const record = z.looseObject({ productId: z.number().int(), sku: z.string().min(1) }).parse(req.body);
      if (!this.inventory.put(loc, { ...record, inventoryId: id } as unknown as Parameters<InventoryState['put']>[1])) throw new StateError(404, `no store ${loc}`);
      res.json({ ok: true });
    }));
    r.delete('/stores/:posLocId/inventory/:inventoryId', guard((req, res) => {
      const [loc, id] = packageOf(req);
      if (!this.inventory.remove(loc, id)) throw new StateError(404, `no package ${id} in store ${loc}`);
      res.json({ ok: true });
    }));
    r.get('/faults', guard((_req, res) => { res.json({ faults: this.faults.list() }); }));
    r.post('/faults', guard((req, res) => { res.status(201).json(this.faults.add(FaultInput.parse(req.body))); }));
    r.delete('/faults', guard((_req, res) => { this.faults.remove(); res.json({ ok: true }); }));
    r.delete('/faults/:id', guard((req, res) => { this.faults.remove(Number(req.params.id)); res.json({ ok: true }); }));
    r.post('/backoffice/expire-sessions', guard((_req, res) => { res.json({ expired: this.sessions.expireAll() }); }));
    r.post('/down', (req, res) => {
      const body = z.object({ server: z.enum(['pos', 'backoffice', 'odoo', 'cms']), seconds: z.number().positive().max(3600) }).strict().safeParse(req.body);
      if (!body.success) { res.status(400).json({ error: 'invalid body', reason: body.error.message }); return; }
      if (!this.running) { res.status(409).json({ error: 'not running' }); return; }
      const server = this.running.servers[body.data.server];
      // Answer first: the server being taken down may be the one carrying this request.
      res.json({ ok: true, until: new Date(Date.now() + body.data.seconds * 1000).toISOString() });
      res.on('finish', () => { void server.down(body.data.seconds * 1000); });
    });
    r.use('/odoo', odooAdminRouter(this.odoo, this.now));
    // the CMS (issue 14): its entries, a store opened, a POS key revoked in Dutchie
    r.get('/cms/stores', guard((_req, res) => { res.json({ data: this.cms.list() }); }));
    r.put('/cms/stores', guard((req, res) => { this.cms.replace(z.array(CmsEntry).parse(req.body)); res.json({ ok: true }); }));
    r.patch('/cms/stores/:documentId', guard((req, res) => {
      const entry = this.cms.patch(String(req.params.documentId), CmsStoreFields.parse(req.body));
      if (!entry) throw new StateError(404, `no CMS store ${String(req.params.documentId)}`);
      res.json(entry);
    }));
    r.delete('/cms/stores/:documentId', guard((req, res) => {
      if (!this.cms.remove(String(req.params.documentId))) throw new StateError(404, `no CMS store ${String(req.params.documentId)}`);
      res.json({ ok: true });
    }));
    r.post('/stores', guard((req, res) => {
      const body = z.object({ lspId: z.number().int(), name: z.string().min(1).optional(), city: z.string().min(1).optional() }).strict().parse(req.body);
      res.status(201).json(this.openStore(body));
    }));
    r.post('/stores/:posLocId/revoke-pos-key', guard((req, res) => {
      const key = this.state.storeKeys.get(locId(req.params.posLocId));
      if (key === undefined) throw new StateError(404, `store ${String(req.params.posLocId)} has no POS key`);
      res.json({ revoked: this.state.revokeKey(key) });
    }));
    return r;
  }

  apps(): Record<keyof SandboxPorts, Express> {
    const make = (mount: (app: Express) => void): Express => {
      const app = jsonApp();
      app.use('/admin', this.adminRouter());
      mount(app);
      app.use((_req, res) => { res.status(404).json({ error: 'not found' }); });
      app.use(jsonErrors);
      return app;
    };
    return {
      pos: make((a) => a.use(posRouter(this.state, this.faults, this.limiter)).use(this.inventoryRouter())),
      backoffice: make((a) => a.use(backofficeRouter(this.state, this.faults, this.sessions)).use(this.inventoryRouter())),
      odoo: make((a) => a.use(odooRpcRouter(this.odoo, this.odooAuth, this.faults))),
      cms: make((a) => a.use(this.cms.router(this.faults))),
    };
  }

  async start(ports: SandboxPorts = { pos: 0, backoffice: 0, odoo: 0 }): Promise<RunningSandbox> {
    this.state.warm();
    const apps = this.apps();
    const [pos, backoffice, odoo, cms] = await Promise.all([
      listen(apps.pos, ports.pos, this.faults), listen(apps.backoffice, ports.backoffice, this.faults), listen(apps.odoo, ports.odoo, this.faults),
      listen(apps.cms, ports.cms ?? 0, this.faults),
    ]);
    const running: RunningSandbox = {
      urls: { pos: pos.url, backoffice: backoffice.url, odoo: odoo.url, cms: cms.url },
      servers: { pos, backoffice, odoo, cms },
      close: async () => { await Promise.all([pos.close(), backoffice.close(), odoo.close(), cms.close()]); this.running = undefined; },
    };
    this.running = running;
    return running;
  }
}

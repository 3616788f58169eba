/**
 * The chain's CMS (Strapi REST, external-apis.md §6) as a sandbox: `GET /api/stores` lists the stores
 * `{data: [{id, documentId, name, slug, is_active, dutchieApiKey, DutchieStoreID, tickertape, ...}], meta}`
 * with Strapi's pagination (`pagination[start]`/`pagination[limit]` or `pagination[page]`/`pagination[pageSize]`,
 * 25 by default, at most 100 a page: a larger limit is cut to 100, as Strapi's maxLimit does), an API token
 * (`Authorization: Bearer <token>`) and Strapi's error shape `{data: null, error: {status, name, message, details}}`.
 *
 * A store with a POS key needs nothing more: its LocId, city and state come from Dutchie's `/whoami`.
 * A store read through Backoffice (no POS key) carries what /whoami would say in fields this chain's CMS
 * adds: `DutchieLocId`, `city`, `state`; every store carries its `DutchieLspId` and `DutchieOrgId`.
 */
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { FaultBox } from './faults';
import { sendJson } from './faults';
import type { SandboxStore } from './stores';

export interface CmsStore {
  id: number;
  documentId: string;
  name: string;
  slug: string | null;
  is_active: boolean;
  dutchieApiKey: string | null;
  DutchieStoreID: string | null;
  tickertape: string | null;
  DutchieLspId?: number | null;
  DutchieOrgId?: number | null;
  DutchieLocId?: number | null;
  city?: string | null;
  state?: string | null;
  createdAt: string;
  updatedAt: string;
  publishedAt: string;
}

/** Fields the admin API may set on an entry (the rest is the CMS's own). */
export const CmsStoreFields = z.object({
  name: z.string().min(1), slug: z.string().nullable(), is_active: z.boolean(), dutchieApiKey: z.string().nullable(), DutchieStoreID: z.string().nullable(),
  tickertape: z.string().nullable(), DutchieLspId: z.number().int().nullable(), DutchieOrgId: z.number().int().nullable(), DutchieLocId: z.number().int().nullable(),
  city: z.string().nullable(), state: z.string().nullable(),
}).partial().strict();

/** A whole entry (the admin API's PUT replaces the list with these). */
export const CmsEntry = z.object({
  id: z.number().int(), documentId: z.string().min(1), name: z.string().min(1), slug: z.string().nullable(), is_active: z.boolean(),
  dutchieApiKey: z.string().nullable(), DutchieStoreID: z.string().nullable(), tickertape: z.string().nullable(),
  DutchieLspId: z.number().int().nullable().optional(), DutchieOrgId: z.number().int().nullable().optional(), DutchieLocId: z.number().int().nullable().optional(),
  city: z.string().nullable().optional(), state: z.string().nullable().optional(),
  createdAt: z.string(), updatedAt: z.string(), publishedAt: z.string(),
}).strict();

const MAX_LIMIT = 100;
const DEFAULT_LIMIT = 25;

const strapiError = (res: Response, status: number, name: string, message: string): void => {
  res.status(status).json({ data: null, error: { status, name, message, details: {} } });
};

export class Cms {
  private entries: CmsStore[] = [];
  private nextId = 1;
  readonly token: string;

  constructor(private readonly seed: number, private readonly now: () => Date) {
    this.token = `strapi_${createHash('sha256').update(`${seed}:cms-token`).digest('hex').slice(0, 40)}`;
  }

  /** The entry of a sandbox store, as this chain's CMS keeps it (a POS store's key; Backoffice stores' LocId, city, state). */
  addStore(s: SandboxStore, posKey: string | undefined): CmsStore {
    const at = this.now().toISOString();
    const documentId = createHash('sha256').update(`${this.seed}:cms:${s.id}`).digest('base64url').replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 24);
    const entry: CmsStore = {
      id: this.nextId++, documentId, name: s.name, slug: s.slug, is_active: true, dutchieApiKey: posKey ?? null, DutchieStoreID: s.id, tickertape: null,
      DutchieLspId: s.lspId, DutchieOrgId: s.orgId,
      ...(posKey === undefined ? { DutchieLocId: s.posLocId, city: s.city, state: s.state } : {}),
      createdAt: at, updatedAt: at, publishedAt: at,
    };
    this.entries.push(entry);
    return entry;
  }

  list(): CmsStore[] { return this.entries.map((e) => ({ ...e })); }

  patch(documentId: string, fields: z.infer<typeof CmsStoreFields>): CmsStore | undefined {
    const i = this.entries.findIndex((e) => e.documentId === documentId);
    if (i === -1) return undefined;
    this.entries[i] = { ...this.entries[i]!, ...fields, updatedAt: this.now().toISOString() };
    return { ...this.entries[i] };
  }

  remove(documentId: string): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.documentId !== documentId);
    return this.entries.length < before;
  }

  /** Replaces every entry (`[]`: a CMS whose store list is empty). */
  replace(entries: CmsStore[]): void { this.entries = entries.map((e) => ({ ...e })); }

  router(faults: FaultBox): Router {
    const r = Router();
    r.get('/api/stores', async (req: Request, res: Response) => {
      const auth = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (auth === undefined) { strapiError(res, 401, 'UnauthorizedError', 'Missing or invalid credentials'); return; }
      if (auth !== this.token) { strapiError(res, 401, 'UnauthorizedError', 'Missing or invalid credentials'); return; }
      const fault = await faults.apply('cms.stores', {}, res);
      if (fault === 'answered') return;
      const q = (k: string): string | undefined => { const v = req.query[`pagination[${k}]`]; return typeof v === 'string' ? v : undefined; };
      const int = (k: string, min: number): number | undefined | null => {
        const v = q(k);
        if (v === undefined) return undefined;
        return /^\d+$/.test(v) && Number(v) >= min ? Number(v) : null;
      };
      const [start, limit, page, pageSize] = [int('start', 0), int('limit', 1), int('page', 1), int('pageSize', 1)];
      for (const [k, v] of [['start', start], ['limit', limit], ['page', page], ['pageSize', pageSize]] as const) {
        if (v === null) { strapiError(res, 400, 'ValidationError', `Invalid '${k}' parameter`); return; }
      }
      if ((start !== undefined || limit !== undefined) && (page !== undefined || pageSize !== undefined)) {
        strapiError(res, 400, 'ValidationError', 'Cannot use both page & offset pagination in the same query');
        return;
      }
      const total = this.entries.length;
      if (page !== undefined || pageSize !== undefined) {
        const size = Math.min(pageSize ?? DEFAULT_LIMIT, MAX_LIMIT);
        const p = page ?? 1;
        const data = this.entries.slice((p - 1) * size, p * size);
        sendJson(res, { data, meta: { pagination: { page: p, pageSize: size, pageCount: Math.ceil(total / size), total } } }, fault === 'truncate');
        return;
      }
      const from = start ?? 0;
      const size = Math.min(limit ?? DEFAULT_LIMIT, MAX_LIMIT);
      sendJson(res, { data: this.entries.slice(from, from + size), meta: { pagination: { start: from, limit: size, total } } }, fault === 'truncate');
    });
    r.use((_req, res) => { strapiError(res, 404, 'NotFoundError', 'Not Found'); });
    return r;
  }
}

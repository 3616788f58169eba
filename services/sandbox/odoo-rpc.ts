/**
 * Odoo's external JSON-RPC API over the record store: `common.version/login/authenticate` and
 * `object.execute_kw/execute`. Pure: takes the parsed request body, returns the JSON-RPC reply.
 * Wrong credentials: `authenticate` answers `false` and every object call fails with AccessDenied,
 * as Odoo does. Every object call is counted per `model.method` (the sink proves "no writes").
 */
import { z } from 'zod';
import { METHODS, OdooError, type Method, type OdooStore } from './odoo-store';

export interface OdooAuth { db: string; login: string; apiKey: string; uid: number }

export const RpcRequest = z.object({
  jsonrpc: z.literal('2.0').optional(),
  method: z.literal('call').optional(),
  id: z.union([z.string(), z.number(), z.null()]).optional(),
  params: z.object({ service: z.string(), method: z.string(), args: z.array(z.unknown()).default([]) }),
});
export type RpcRequest = z.infer<typeof RpcRequest>;

export type RpcReply =
  | { jsonrpc: '2.0'; id: string | number | null; result: unknown }
  | { jsonrpc: '2.0'; id: string | number | null; error: { code: number; message: string; data: { name: string; message: string; arguments: string[]; debug: string; context: Record<string, never> } } };

export function rpcError(id: string | number | null, name: string, message: string, code = 200): RpcReply {
  return {
    jsonrpc: '2.0', id,
    error: {
      code, message: code === 200 ? 'Odoo Server Error' : message,
      data: { name, message, arguments: [message], debug: `Traceback (most recent call last):\n${name}: ${message}\n`, context: {} },
    },
  };
}

const KWARGS: Record<Method, readonly string[]> = {
  search: ['offset', 'limit', 'order', 'count'],
  search_count: ['limit'],
  read: ['fields', 'load'],
  search_read: ['domain', 'fields', 'offset', 'limit', 'order'],
  create: [],
  write: [],
  unlink: [],
  fields_get: ['allfields', 'attributes'],
  name_get: [],
};

const optInt = (v: unknown, what: string): number | undefined => {
  if (v === undefined || v === null || v === false) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new OdooError('builtins.TypeError', `${what} must be a non-negative integer`);
  return v;
};
const optOrder = (v: unknown): string | undefined => {
  if (v === undefined || v === null || v === false) return undefined;
  if (typeof v !== 'string') throw new OdooError('builtins.TypeError', 'order must be a string');
  return v;
};

function execute(store: OdooStore, model: string, method: string, args: unknown[], kwargs: Record<string, unknown>): unknown {
  if (!(METHODS as readonly string[]).includes(method)) {
    store.spec(model);
    throw new OdooError('builtins.AttributeError', `The method '${method}' does not exist on the model '${model}'`);
  }
  const m = method as Method;
  for (const k of Object.keys(kwargs)) {
    if (k !== 'context' && !KWARGS[m].includes(k)) throw new OdooError('builtins.TypeError', `${m}() got an unexpected keyword argument '${k}'`);
  }
  const kw = (name: string, pos: number): unknown => kwargs[name] ?? args[pos];
  switch (m) {
    case 'search': {
      const opts = { offset: optInt(kw('offset', 1), 'offset'), limit: optInt(kw('limit', 2), 'limit'), order: optOrder(kw('order', 3)) };
      return kw('count', 4) === true ? store.searchCount(model, args[0]) : store.search(model, args[0], opts);
    }
    case 'search_count': return store.searchCount(model, args[0]);
    case 'read': return store.read(model, args[0], kw('fields', 1));
    case 'search_read':
      return store.searchRead(model, kwargs.domain ?? args[0] ?? [], kw('fields', 1), {
        offset: optInt(kw('offset', 2), 'offset'), limit: optInt(kw('limit', 3), 'limit'), order: optOrder(kw('order', 4)),
      });
    case 'create': return store.create(model, args[0]);
    case 'write': return store.write(model, args[0], args[1]);
    case 'unlink': return store.unlink(model, args[0]);
    case 'fields_get': return store.fieldsGet(model);
    case 'name_get': return store.read(model, args[0], ['name']).map((r) => [r.id, r.name]);
    default: { const _exhaustive: never = m; return _exhaustive; }
  }
}

/** Answers one JSON-RPC call. Never throws: every failure is an Odoo-shaped error reply. */
export function handleRpc(store: OdooStore, auth: OdooAuth, req: RpcRequest): RpcReply {
  const id = req.id ?? null;
  const { service, method, args } = req.params;
  try {
    if (service === 'common') {
      store.countCall('common', method);
      switch (method) {
        case 'version': return { jsonrpc: '2.0', id, result: { server_version: '17.0', server_version_info: [17, 0, 0, 'final', 0, ''], server_serie: '17.0', protocol_version: 1 } };
        case 'login': case 'authenticate': {
          const [db, login, key] = args;
          return { jsonrpc: '2.0', id, result: db === auth.db && login === auth.login && key === auth.apiKey ? auth.uid : false };
        }
        default: throw new OdooError('builtins.AttributeError', `'common' service has no method '${method}'`);
      }
    }
    if (service === 'object' && (method === 'execute_kw' || method === 'execute')) {
      const [db, uid, key, model, objMethod, ...rest] = args;
      if (db !== auth.db || uid !== auth.uid || key !== auth.apiKey) throw new OdooError('odoo.exceptions.AccessDenied', 'Access Denied');
      if (typeof model !== 'string' || typeof objMethod !== 'string') throw new OdooError('builtins.TypeError', 'execute_kw needs a model and a method name');
      store.countCall(model, objMethod);
      const callArgs = method === 'execute_kw' ? rest[0] ?? [] : rest;
      const kwargs = method === 'execute_kw' ? rest[1] ?? {} : {};
      if (!Array.isArray(callArgs)) throw new OdooError('builtins.TypeError', 'args must be a list');
      if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) throw new OdooError('builtins.TypeError', 'kwargs must be a dictionary');
      return { jsonrpc: '2.0', id, result: execute(store, model, objMethod, callArgs, kwargs as Record<string, unknown>) };
    }
    throw new OdooError('builtins.KeyError', `No such service or method: ${service}.${method}`);
  } catch (e) {
    if (e instanceof OdooError) return rpcError(id, e.odooName, e.message);
    return rpcError(id, 'builtins.Exception', e instanceof Error ? e.message : String(e));
  }
}

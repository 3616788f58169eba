/**
 * The record store behind the sandbox Odoo: models from odoo-models.ts, Odoo's domain language,
 * `search`/`read`/`search_read`/`search_count`/`create`/`write`/`unlink`, and Odoo's read
 * conventions (`false` for empty scalars, `[id, name]` for many2one, id arrays for many2many).
 * Errors are OdooError values carrying the exception class Odoo would name.
 */
import { linkOnCreate, linkOnUnlink, linkOnWrite } from './odoo-links';
import { MODELS, type FieldSpec, type ModelSpec } from './odoo-models';

export type OdooErrorName =
  | 'odoo.exceptions.ValidationError' | 'odoo.exceptions.AccessDenied' | 'odoo.exceptions.AccessError'
  | 'odoo.exceptions.MissingError' | 'odoo.exceptions.UserError' | 'builtins.ValueError' | 'builtins.KeyError'
  | 'builtins.AttributeError' | 'builtins.TypeError';

export class OdooError extends Error {
  constructor(readonly odooName: OdooErrorName, message: string) { super(message); }
}

type Scalar = string | number | boolean;
export type StoredValue = Scalar | number[];
export type OdooRecord = { id: number } & Record<string, StoredValue>;
/** A value as `read` returns it. */
export type ReadValue = Scalar | number[] | [number, string];

export const METHODS = ['search', 'read', 'search_read', 'search_count', 'create', 'write', 'unlink', 'fields_get', 'name_get'] as const;
export type Method = (typeof METHODS)[number];

/** Rejects a create/write on matching records (fault injection: "validation error for this record"). */
export interface ValidationFault { model: string; match: Record<string, unknown>; message: string }

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

function isValidDate(s: string): boolean {
  const d = new Date(`${s.slice(0, 10)}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s.slice(0, 10);
}

function emptyValue(spec: FieldSpec): StoredValue {
  switch (spec.type) {
    case 'integer': case 'float': return 0;
    case 'boolean': return false;
    case 'many2many': return [];
    case 'char': case 'text': case 'date': case 'datetime': case 'selection': case 'many2one': return false;
    default: { const _exhaustive: never = spec.type; return _exhaustive; }
  }
}

export class OdooStore {
  private readonly tables = new Map<string, Map<number, OdooRecord>>();
  private nextId = new Map<string, number>();
  readonly calls = new Map<string, number>();
  validationFaults: ValidationFault[] = [];

  constructor(private readonly models: Record<string, ModelSpec> = MODELS, private readonly now: () => Date = () => new Date()) {
    for (const name of Object.keys(models)) { this.tables.set(name, new Map()); this.nextId.set(name, 1); }
  }

  spec(model: string): ModelSpec {
    const s = this.models[model];
    if (!s) throw new OdooError('builtins.KeyError', `'${model}'`);
    return s;
  }

  private table(model: string): Map<number, OdooRecord> {
    this.spec(model);
    return this.tables.get(model)!;
  }

  private field(model: string, name: string, context: string): FieldSpec | undefined {
    if (name === 'id') return undefined;
    const f = this.spec(model)[name];
    if (!f) throw new OdooError('builtins.ValueError', `Invalid field '${name}' on model '${model}'${context}`);
    return f;
  }

  countCall(model: string, method: string): void {
    for (const k of [`${model}.${method}`, method]) this.calls.set(k, (this.calls.get(k) ?? 0) + 1);
  }

  callCounts(): Record<string, number> { return Object.fromEntries(this.calls); }

  resetCalls(): void { this.calls.clear(); }

  // ---- writing ------------------------------------------------------------------------------

  /** Checks and converts one value for storage; a wrong type or selection is a ValidationError. */
  private coerce(model: string, name: string, spec: FieldSpec, value: unknown, current: StoredValue | undefined): StoredValue {
    const bad = (why: string): never => { throw new OdooError('odoo.exceptions.ValidationError', `Wrong value for ${model}.${name}: ${JSON.stringify(value)} (${why})`); };
    if (value === null || value === undefined) value = false;
    switch (spec.type) {
      case 'char': case 'text':
        if (typeof value === 'string' && spec.size !== undefined && value.length > spec.size) bad(`longer than ${spec.size} characters`);
        return value === false || typeof value === 'string' ? value : bad(`expected a string`);
      case 'integer':
        if (value === false) return 0;
        return typeof value === 'number' && Number.isInteger(value) ? value : bad('expected an integer');
      case 'float':
        if (value === false) return 0;
        return typeof value === 'number' && Number.isFinite(value) ? value : bad('expected a number');
      case 'boolean':
        return typeof value === 'boolean' ? value : bad('expected a boolean');
      case 'date':
        if (value === false) return false;
        return typeof value === 'string' && DATE_RE.test(value) && isValidDate(value) ? value : bad("expected a date 'YYYY-MM-DD'");
      case 'datetime':
        if (value === false) return false;
        return typeof value === 'string' && DATETIME_RE.test(value) && isValidDate(value) ? value : bad("expected a datetime 'YYYY-MM-DD HH:MM:SS'");
      case 'selection':
        if (value === false) return false;
        return typeof value === 'string' && (spec.selection ?? []).includes(value) ? value : bad(`not one of ${(spec.selection ?? []).join(', ')}`);
      case 'many2one':
        if (value === false) return false;
        if (typeof value !== 'number' || !Number.isInteger(value)) return bad('expected a record id');
        if (spec.relation && this.tables.has(spec.relation) && !this.tables.get(spec.relation)!.has(value)) {
          throw new OdooError('odoo.exceptions.MissingError', `Record does not exist or has been deleted. (Record: ${spec.relation}(${value},))`);
        }
        return value;
      case 'many2many':
        return this.applyX2many(Array.isArray(current) ? current : [], value, bad);
      default: { const _exhaustive: never = spec.type; return _exhaustive; }
    }
  }

  /** many2many values: a plain id list, or Odoo commands (6,0,ids) (4,id) (3,id) (5,). */
  private applyX2many(current: number[], value: unknown, bad: (why: string) => never): number[] {
    if (value === false) return [];
    if (!Array.isArray(value)) return bad('expected a list of ids or commands');
    if (value.every((v) => typeof v === 'number' && Number.isInteger(v))) return [...new Set(value as number[])];
    let ids = [...current];
    for (const cmd of value) {
      if (!Array.isArray(cmd) || typeof cmd[0] !== 'number') return bad('expected a list of ids or commands');
      const [op, a, b] = cmd as [number, unknown, unknown];
      if (op === 6 && Array.isArray(b) && b.every((x) => typeof x === 'number')) ids = [...new Set(b)];
      else if (op === 4 && typeof a === 'number') ids = ids.includes(a) ? ids : [...ids, a];
      else if (op === 3 && typeof a === 'number') ids = ids.filter((x) => x !== a);
      else if (op === 5) ids = [];
      else return bad(`unsupported command ${JSON.stringify(cmd)}`);
    }
    return ids;
  }

  private checkFaults(model: string, merged: Record<string, unknown>): void {
    for (const f of this.validationFaults) {
      if (f.model === model && Object.entries(f.match).every(([k, v]) => merged[k] === v)) {
        throw new OdooError('odoo.exceptions.ValidationError', f.message);
      }
    }
  }

  private vals(model: string, raw: unknown, existing: OdooRecord | undefined): Record<string, StoredValue> {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new OdooError('builtins.TypeError', 'values must be a dictionary');
    const out: Record<string, StoredValue> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (k === 'id') throw new OdooError('builtins.ValueError', `Invalid field 'id' on model '${model}'`);
      const spec = this.field(model, k, '')!;
      if (k === 'write_date') continue; // Odoo's own bookkeeping: a value sent is ignored, as Odoo does
      out[k] = this.coerce(model, k, spec, v, existing?.[k]);
    }
    return out;
  }

  create(model: string, valsList: unknown): number | number[] {
    const single = !Array.isArray(valsList);
    const list: unknown[] = single ? [valsList] : (valsList as unknown[]);
    const spec = this.spec(model);
    const prepared = list.map((raw) => {
      const v = this.vals(model, raw, undefined);
      for (const [name, f] of Object.entries(spec)) {
        if (f.required && (v[name] === undefined || v[name] === false)) {
          throw new OdooError('odoo.exceptions.ValidationError', `The operation cannot be completed: Missing required value for the field '${name}' on model '${model}'`);
        }
      }
      this.checkFaults(model, v);
      return v;
    });
    const table = this.table(model);
    this.checkUnique(model, prepared.map((v) => [undefined, v] as const));
    const ids = prepared.map((v) => {
      const id = this.nextId.get(model)!;
      this.nextId.set(model, id + 1);
      const rec: OdooRecord = { id };
      for (const [name, f] of Object.entries(spec)) rec[name] = v[name] ?? emptyValue(f);
      if ('write_date' in spec) rec.write_date = this.stamp();
      table.set(id, rec);
      linkOnCreate(this, model, rec);
      return id;
    });
    return single ? ids[0]! : ids;
  }

  private existing(model: string, ids: unknown): OdooRecord[] {
    const list = typeof ids === 'number' ? [ids] : ids;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'number' && Number.isInteger(x))) throw new OdooError('builtins.TypeError', 'ids must be a list of integers');
    const table = this.table(model);
    const missing = (list as number[]).filter((id) => !table.has(id));
    if (missing.length) throw new OdooError('odoo.exceptions.MissingError', `Record does not exist or has been deleted. (Record: ${model}(${missing.join(', ')},), User: 2)`);
    return (list as number[]).map((id) => table.get(id)!);
  }

  write(model: string, ids: unknown, raw: unknown): true {
    const recs = this.existing(model, ids);
    const updates = recs.map((rec) => {
      const v = this.vals(model, raw, rec);
      this.checkFaults(model, { ...rec, ...v });
      return [rec, v] as const;
    });
    const table = this.table(model);
    this.checkUnique(model, updates);
    const stamped = 'write_date' in this.spec(model);
    for (const [rec, v] of updates) {
      const next = { ...rec, ...v, ...(stamped ? { write_date: this.stamp() } : {}) };
      table.set(rec.id, next);
      linkOnWrite(this, model, next, v);
    }
    return true;
  }

  /** Odoo's datetime text of now (UTC, whole seconds). */
  private stamp(): string { return this.now().toISOString().slice(0, 19).replace('T', ' '); }

  /** Unique fields (a SQL constraint in Odoo): a value held by another record, or twice in one call, is refused. */
  private checkUnique(model: string, changes: ReadonlyArray<readonly [OdooRecord | undefined, Record<string, StoredValue>]>): void {
    for (const [name, f] of Object.entries(this.spec(model))) {
      if (!f.unique) continue;
      const seen = new Set<StoredValue>();
      for (const [rec, v] of changes) {
        const value = v[name];
        if (value === undefined || value === false) continue;
        const taken = seen.has(value) || [...this.table(model).values()].some((r) => r.id !== rec?.id && r[name] === value);
        if (taken) throw new OdooError('odoo.exceptions.ValidationError', `duplicate key value violates unique constraint "${model.replace(/\./g, '_')}_${name}_uniq": ${name} ${JSON.stringify(value)} already exists`);
        seen.add(value);
      }
    }
  }

  unlink(model: string, ids: unknown): true {
    const recs = this.existing(model, ids);
    const table = this.table(model);
    for (const r of recs) table.delete(r.id);
    for (const r of recs) linkOnUnlink(this, model, r);
    return true;
  }

  // ---- reading ------------------------------------------------------------------------------

  search(model: string, domain: unknown, opts: { offset?: number; limit?: number; order?: string } = {}): number[] {
    const matcher = this.compile(model, domain);
    const rows = [...this.table(model).values()].filter(matcher);
    rows.sort(this.comparator(model, opts.order ?? 'id'));
    const start = opts.offset ?? 0;
    const sliced = opts.limit ? rows.slice(start, start + opts.limit) : rows.slice(start);
    return sliced.map((r) => r.id);
  }

  searchCount(model: string, domain: unknown): number {
    const matcher = this.compile(model, domain);
    return [...this.table(model).values()].filter(matcher).length;
  }

  read(model: string, ids: unknown, fields?: unknown): Array<Record<string, ReadValue>> {
    const spec = this.spec(model);
    const names = this.fieldList(model, fields) ?? Object.keys(spec);
    return this.existing(model, ids).map((rec) => {
      const out: Record<string, ReadValue> = { id: rec.id };
      for (const n of names) if (n !== 'id') out[n] = this.readValue(spec[n]!, rec[n]);
      return out;
    });
  }

  searchRead(model: string, domain: unknown, fields: unknown, opts: { offset?: number; limit?: number; order?: string }): Array<Record<string, ReadValue>> {
    return this.read(model, this.search(model, domain, opts), fields);
  }

  fieldsGet(model: string): Record<string, { type: string; selection?: Array<[string, string]>; relation?: string; required: boolean }> {
    return Object.fromEntries(Object.entries(this.spec(model)).map(([n, f]) => [n, {
      type: f.type, required: f.required ?? false,
      ...(f.selection ? { selection: f.selection.map((s) => [s, s] as [string, string]) } : {}),
      ...(f.relation ? { relation: f.relation } : {}),
    }]));
  }

  private fieldList(model: string, fields: unknown): string[] | undefined {
    if (fields === undefined || fields === null || fields === false) return undefined;
    if (!Array.isArray(fields) || !fields.every((f) => typeof f === 'string')) throw new OdooError('builtins.TypeError', 'fields must be a list of field names');
    if (fields.length === 0) return undefined;
    for (const f of fields) this.field(model, f, '');
    return fields;
  }

  private readValue(spec: FieldSpec, v: StoredValue | undefined): ReadValue {
    const value = v ?? emptyValue(spec);
    if (spec.type === 'many2one' && typeof value === 'number') {
      const target = spec.relation ? this.tables.get(spec.relation)?.get(value) : undefined;
      return [value, typeof target?.name === 'string' ? target.name : `${spec.relation ?? ''},${value}`];
    }
    if (spec.type === 'many2many' && Array.isArray(value)) return [...value];
    return value;
  }

  /** Admin view: raw stored records of a model, optionally filtered by a domain. */
  records(model: string, domain: unknown = []): OdooRecord[] {
    const m = this.compile(model, domain);
    return [...this.table(model).values()].filter(m).map((r) => ({ ...r }));
  }

  // ---- domains ------------------------------------------------------------------------------

  /** Compiles an Odoo domain (prefix notation, implicit AND) into a predicate. */
  compile(model: string, domain: unknown): (r: OdooRecord) => boolean {
    if (domain === undefined || domain === null || domain === false) return () => true;
    if (!Array.isArray(domain)) throw new OdooError('builtins.ValueError', `Invalid domain: ${JSON.stringify(domain)}`);
    const tokens: unknown[] = domain;
    let i = 0;
    const parse = (): ((r: OdooRecord) => boolean) => {
      if (i >= tokens.length) throw new OdooError('builtins.ValueError', `Invalid domain: ${JSON.stringify(domain)}`);
      const t = tokens[i++];
      if (t === '&' || t === '|') {
        const a = parse(); const b = parse();
        return t === '&' ? (r) => a(r) && b(r) : (r) => a(r) || b(r);
      }
      if (t === '!') { const a = parse(); return (r) => !a(r); }
      return this.leaf(model, t);
    };
    const parts: Array<(r: OdooRecord) => boolean> = [];
    while (i < tokens.length) parts.push(parse());
    return (r) => parts.every((p) => p(r));
  }

  private leaf(model: string, t: unknown): (r: OdooRecord) => boolean {
    if (!Array.isArray(t) || t.length !== 3) throw new OdooError('builtins.ValueError', `Invalid leaf ${JSON.stringify(t)}`);
    const [name, op, value] = t as [unknown, unknown, unknown];
    if (name === 1 && op === '=' && value === 1) return () => true;
    if (name === 0 && op === '=' && value === 1) return () => false;
    if (typeof name !== 'string' || typeof op !== 'string') throw new OdooError('builtins.ValueError', `Invalid leaf ${JSON.stringify(t)}`);
    const spec = this.field(model, name, ` in leaf ${JSON.stringify(t)}`);
    const get = (r: OdooRecord): StoredValue => (name === 'id' ? r.id : r[name] ?? (spec ? emptyValue(spec) : false));
    const isM2m = spec?.type === 'many2many';
    const eq = (v: StoredValue, x: unknown): boolean => {
      if (isM2m && Array.isArray(v)) return x === false ? v.length === 0 : typeof x === 'number' ? v.includes(x) : false;
      if (x === false || x === null) return v === false || v === '' || (spec?.type === 'many2one' && v === 0);
      return v === x;
    };
    const like = (v: StoredValue, x: unknown, ci: boolean, anchored: boolean): boolean => {
      if (typeof v !== 'string' || typeof x !== 'string') return false;
      const [hay, needle] = ci ? [v.toLowerCase(), x.toLowerCase()] : [v, x];
      if (!anchored) return hay.includes(needle.replace(/%/g, ''));
      const re = new RegExp(`^${needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, 's');
      return re.test(hay);
    };
    const listOf = (x: unknown): unknown[] => {
      if (!Array.isArray(x)) throw new OdooError('builtins.ValueError', `Invalid leaf ${JSON.stringify(t)}: '${op}' needs a list`);
      return x;
    };
    const cmp = (v: StoredValue, x: unknown, f: (a: number | string, b: number | string) => boolean): boolean =>
      (typeof v === 'number' || typeof v === 'string') && (typeof x === 'number' || typeof x === 'string') && f(v, x);
    switch (op) {
      case '=': return (r) => eq(get(r), value);
      case '!=': case '<>': return (r) => !eq(get(r), value);
      case '=?': return value === false || value === null ? () => true : (r) => eq(get(r), value);
      case 'in': { const xs = listOf(value); return (r) => { const v = get(r); return Array.isArray(v) ? v.some((id) => xs.includes(id)) : xs.some((x) => eq(v, x)); }; }
      case 'not in': { const xs = listOf(value); return (r) => { const v = get(r); return Array.isArray(v) ? !v.some((id) => xs.includes(id)) : !xs.some((x) => eq(v, x)); }; }
      case 'like': return (r) => like(get(r), value, false, false);
      case 'ilike': return (r) => like(get(r), value, true, false);
      case 'not like': return (r) => !like(get(r), value, false, false);
      case 'not ilike': return (r) => !like(get(r), value, true, false);
      case '=like': return (r) => like(get(r), value, false, true);
      case '=ilike': return (r) => like(get(r), value, true, true);
      case '>': return (r) => cmp(get(r), value, (a, b) => a > b);
      case '>=': return (r) => cmp(get(r), value, (a, b) => a >= b);
      case '<': return (r) => cmp(get(r), value, (a, b) => a < b);
      case '<=': return (r) => cmp(get(r), value, (a, b) => a <= b);
      default: throw new OdooError('builtins.ValueError', `Invalid leaf ${JSON.stringify(t)}: unknown operator '${op}'`);
    }
  }

  private comparator(model: string, order: string): (a: OdooRecord, b: OdooRecord) => number {
    const keys = order.split(',').map((s) => s.trim()).filter(Boolean).map((part) => {
      const [name = 'id', dir = 'asc'] = part.split(/\s+/);
      if (!/^(asc|desc)$/i.test(dir)) throw new OdooError('builtins.ValueError', `Invalid "order" specified (${order})`);
      this.field(model, name, ` in order "${order}"`);
      return { name, sign: dir.toLowerCase() === 'desc' ? -1 : 1 };
    });
    return (a, b) => {
      for (const { name, sign } of keys) {
        const x = name === 'id' ? a.id : a[name]; const y = name === 'id' ? b.id : b[name];
        if (x === y) continue;
        // Postgres puts NULL (false) last in ascending order.
        if (x === false || x === undefined) return sign;
        if (y === false || y === undefined) return -sign;
        // Strings compare like Postgres's en_US collation (case-insensitive first), not by code unit.
        if (typeof x === 'string' && typeof y === 'string') return (x.localeCompare(y, 'en') || (x < y ? -1 : 1)) * sign;
        return (x < y ? -1 : 1) * sign;
      }
      return a.id - b.id;
    };
  }
}

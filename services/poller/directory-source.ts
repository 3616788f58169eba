/**
 * Reading the store directory: the chain's CMS (Strapi REST, `STORES_API_URL`, optional API token
 * `STORES_API_TOKEN`, pages of `pagination[limit]=100` until `meta.pagination.total`) or a JSON file
 * (`STORES_FILE`: the same entries, as a list or as Strapi's `{data: [...]}`). A failure of any page, an
 * unreadable reply, a total that changes while paging or an EMPTY listing is a failed read: the caller
 * changes nothing. The token never appears in a reason.
 */
import fs from 'node:fs/promises';
import { z } from 'zod';
import { RetryableError, withRetry, type RetryPolicy } from './retry';

export type DirectoryRead = { kind: 'ok'; entries: unknown[] } | { kind: 'failed'; reason: string };

export interface DirectorySourceSettings {
  url?: string;
  token?: string;
  file?: string;
  pageSize: number;
  timeoutMs: number;
  retry: RetryPolicy;
}

export interface DirectorySourceDeps { fetch: typeof fetch; sleep: (ms: number) => Promise<void>; random: () => number }

const Page = z.object({
  data: z.array(z.unknown()),
  meta: z.object({ pagination: z.object({ total: z.number().int().nonnegative() }).passthrough() }).passthrough(),
});
const FileContent = z.union([z.array(z.unknown()), z.object({ data: z.array(z.unknown()) }).passthrough().transform((o) => o.data)]);

class Fatal extends Error {}

/** A Strapi error body's message (`{error: {status, name, message}}`), if it has one. */
function strapiMessage(text: string): string {
  try {
    const e = z.object({ error: z.object({ name: z.string(), message: z.string() }) }).safeParse(JSON.parse(text));
    return e.success ? ` ${e.data.error.name}: ${e.data.error.message}` : '';
  } catch {
    return '';
  }
}

async function page(s: DirectorySourceSettings, deps: DirectorySourceDeps, start: number): Promise<z.infer<typeof Page>> {
  const url = new URL(s.url!);
  url.searchParams.set('pagination[start]', String(start));
  url.searchParams.set('pagination[limit]', String(s.pageSize));
  let res: Response;
  let text: string;
  try {
    res = await deps.fetch(url, { headers: { accept: 'application/json', ...(s.token ? { authorization: `Bearer ${s.token}` } : {}) }, signal: AbortSignal.timeout(s.timeoutMs) });
    text = await res.text();
  } catch (e) {
    const name = e instanceof Error ? e.name : '';
    throw new RetryableError(name === 'TimeoutError' || name === 'AbortError' ? `store directory: timed out after ${s.timeoutMs} ms` : 'store directory: network error');
  }
  if (res.status === 429 || res.status >= 500) throw new RetryableError(`store directory: HTTP ${res.status}${strapiMessage(text)}`);
  if (res.status !== 200) throw new Fatal(`store directory: HTTP ${res.status}${strapiMessage(text)}${res.status === 401 || res.status === 403 ? ' (check STORES_API_TOKEN)' : ''}`);
  let json: unknown;
  try { json = JSON.parse(text); } catch { throw new RetryableError(`store directory: unreadable JSON (${text.length} bytes)`); }
  const parsed = Page.safeParse(json);
  if (!parsed.success) throw new Fatal('store directory: not a Strapi list ({data, meta.pagination.total})');
  return parsed.data;
}

export async function readDirectory(s: DirectorySourceSettings, deps: DirectorySourceDeps): Promise<DirectoryRead> {
  try {
    let entries: unknown[];
    if (s.file !== undefined) {
      let text: string;
      try { text = await fs.readFile(s.file, 'utf8'); } catch (e) { throw new Fatal(`store directory file: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`); }
      let json: unknown;
      try { json = JSON.parse(text); } catch { throw new Fatal('store directory file: not JSON'); }
      const parsed = FileContent.safeParse(json);
      if (!parsed.success) throw new Fatal('store directory file: neither a list of stores nor {data: [...]}');
      entries = parsed.data;
    } else {
      entries = [];
      let total: number | undefined;
      for (let start = 0; ; start += s.pageSize) {
        const p = await withRetry(() => page(s, deps, start), s.retry, deps);
        if (total !== undefined && p.meta.pagination.total !== total) throw new Fatal('store directory: the total changed while paging');
        total = p.meta.pagination.total;
        entries.push(...p.data);
        if (p.data.length === 0 || entries.length >= total) break;
      }
      if (entries.length !== total) throw new Fatal(`store directory: ${entries.length} stores read of ${total}`);
    }
    if (entries.length === 0) return { kind: 'failed', reason: 'store directory: the listing is empty (never read as "every store is gone")' };
    return { kind: 'ok', entries };
  } catch (e) {
    return { kind: 'failed', reason: e instanceof Error ? e.message : String(e) };
  }
}

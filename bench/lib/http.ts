// A lean HTTP/1.1 client for load generation: node:http with a keep-alive agent (one pool for
// the whole bench, like many browsers behind one NAT would look to the gateway), and a small
// per-login cookie jar that honours Path and deletion, as a browser does. Redirects are NOT
// followed here: the login driver follows them hop by hop, so every hop is visible.
import http from 'node:http';

// Idle sockets are dropped after 4 s, before the gateway's 5 s keepAliveTimeout closes them.
export const agent = new http.Agent({ keepAlive: true, maxSockets: 256, keepAliveMsecs: 1000, timeout: 4000 });

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface StoredCookie {
  value: string;
  path: string;
}

/** Cookies of one browser. Ports are ignored (as browsers do); Domain is not needed on 127.0.0.1. */
export class CookieJar {
  private readonly cookies = new Map<string, StoredCookie>();

  /** `name=value; Path=/x; Max-Age=…; Expires=…` */
  store(setCookie: string[] | undefined, requestPath: string): void {
    for (const line of setCookie ?? []) {
      const parts = line.split(';');
      const first = parts.shift()!;
      const eq = first.indexOf('=');
      if (eq <= 0) continue;
      const name = first.slice(0, eq).trim();
      const value = first.slice(eq + 1).trim();
      // Default path: the request path up to its last '/' (RFC 6265 §5.1.4).
      let path = requestPath.slice(0, Math.max(1, requestPath.lastIndexOf('/')));
      let expired = false;
      for (const p of parts) {
        const i = p.indexOf('=');
        const k = (i < 0 ? p : p.slice(0, i)).trim().toLowerCase();
        const v = i < 0 ? '' : p.slice(i + 1).trim();
        if (k === 'path' && v.startsWith('/')) path = v;
        else if (k === 'max-age' && Number(v) <= 0) expired = true;
        else if (k === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      const key = `${name}\n${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { value, path });
    }
  }

  header(requestPath: string): string | undefined {
    const out: string[] = [];
    for (const [key, c] of this.cookies) {
      const matches = requestPath === c.path || (requestPath.startsWith(c.path) && (c.path.endsWith('/') || requestPath.charAt(c.path.length) === '/'));
      if (matches) out.push(`${key.slice(0, key.indexOf('\n'))}=${c.value}`);
    }
    return out.length ? out.join('; ') : undefined;
  }
}

type RequestOptions = { method?: string; headers?: Record<string, string>; body?: string; jar?: CookieJar; timeoutMs?: number };

/**
 * One request. A kept-alive socket that the server closed just as we reused it fails with
 * ECONNRESET before the server read anything; like browsers, we then try once more on a fresh
 * connection (only in that case: never after a response or on a new socket).
 */
export async function request(url: URL, opts: RequestOptions = {}): Promise<HttpResponse> {
  try {
    return await requestOnce(url, opts);
  } catch (err) {
    if ((err as { staleSocket?: boolean }).staleSocket) return requestOnce(url, opts);
    throw err;
  }
}

function requestOnce(url: URL, opts: RequestOptions): Promise<HttpResponse> {
  const pathAndQuery = `${url.pathname}${url.search}`;
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  const cookie = opts.jar?.header(url.pathname);
  if (cookie) headers.cookie = cookie;
  if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
  return new Promise<HttpResponse>((resolve, reject) => {
    const req = http.request(
      { agent, host: url.hostname, port: url.port, path: pathAndQuery, method: opts.method ?? 'GET', headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          opts.jar?.store(res.headers['set-cookie'], url.pathname);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error(`timeout: ${opts.method ?? 'GET'} ${url.pathname}`)));
    let answered = false;
    req.on('response', () => {
      answered = true;
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (!answered && req.reusedSocket && err.code === 'ECONNRESET') Object.assign(err, { staleSocket: true });
      reject(err);
    });
    req.end(opts.body);
  });
}

/** The Location of a redirect, resolved against the request URL; throws on anything else. */
export function redirectTarget(res: HttpResponse, from: URL, what: string): URL {
  const loc = res.headers.location;
  if (res.status < 300 || res.status >= 400 || !loc) {
    throw new Error(`${what}: expected a redirect, got ${res.status} ${res.body.slice(0, 300).replace(/\s+/g, ' ')}`);
  }
  return new URL(loc, from);
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'", '&#39;': "'" };

export function unescapeHtml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#39);/g, (m) => ENTITIES[m] ?? m);
}

/**
 * The first <form> of a page (or the first whose action matches `actionPattern`): its action and
 * the values a browser would submit — hidden and text inputs, the checked radio button of each
 * group (or the first one, as a person would pick one), no buttons.
 */
export function parseForm(html: string, base: URL, actionPattern?: RegExp): { action: URL; fields: URLSearchParams } {
  const forms = [...html.matchAll(/<form\b[^>]*\baction="([^"]*)"[^>]*>([\s\S]*?)<\/form>/gi)];
  const form = actionPattern ? forms.find((f) => actionPattern.test(unescapeHtml(f[1]!))) : forms[0];
  if (!form) throw new Error(`no form${actionPattern ? ` for ${actionPattern}` : ''} in page: ${html.slice(0, 300).replace(/\s+/g, ' ')}`);
  const fields = new URLSearchParams();
  const radios = new Map<string, string>();
  for (const m of form[2]!.matchAll(/<input\b[^>]*>/gi)) {
    const tag = m[0];
    const name = /\bname="([^"]*)"/i.exec(tag)?.[1];
    if (!name) continue;
    const type = (/\btype="([^"]*)"/i.exec(tag)?.[1] ?? 'text').toLowerCase();
    const value = unescapeHtml(/\bvalue="([^"]*)"/i.exec(tag)?.[1] ?? '');
    if (type === 'submit' || type === 'button' || type === 'image') continue;
    if (type === 'radio' || type === 'checkbox') {
      if (/\bchecked\b/i.test(tag)) radios.set(name, value);
      else if (type === 'radio' && !radios.has(name)) radios.set(name, value);
      continue;
    }
    fields.append(unescapeHtml(name), value);
  }
  for (const [name, value] of radios) fields.append(unescapeHtml(name), value);
  return { action: new URL(unescapeHtml(form[1]!), base), fields };
}

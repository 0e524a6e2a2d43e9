// A small browser for tests: a cookie jar, redirects followed one hop at a time, HTML forms
// found, filled and submitted, and auto-submitting forms (the SAML POST binding) submitted
// the way a browser with JavaScript would. It talks real HTTP to servers on 127.0.0.1.
import { CookieJar } from 'tough-cookie';
import * as cheerio from 'cheerio';

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  body: string;
  $: cheerio.CheerioAPI;
}

export interface FormData {
  action: string;
  method: string;
  fields: Map<string, string>;
}

export class Browser {
  readonly jar = new CookieJar();
  /** Every URL visited, in order (for assertions on the path a login took). */
  readonly history: string[] = [];

  constructor(
    private readonly opts: {
      maxRedirects?: number;
      /** Stop before fetching a URL (e.g. an app's redirect_uri that no server listens on). */
      stopAt?: (url: string) => boolean;
    } = {},
  ) {}

  async request(url: string, init: { method?: string; body?: URLSearchParams; headers?: Record<string, string> } = {}): Promise<Page> {
    let current = url;
    let method = init.method ?? 'GET';
    let body: URLSearchParams | undefined = init.body;
    for (let hop = 0; hop <= (this.opts.maxRedirects ?? 20); hop++) {
      this.history.push(`${method} ${current}`);
      if (this.opts.stopAt?.(current)) {
        return { url: current, status: 0, headers: new Headers(), body: '', $: cheerio.load('') };
      }
      const headers: Record<string, string> = { accept: 'text/html,application/xhtml+xml', ...(init.headers ?? {}) };
      const cookie = await this.jar.getCookieString(current);
      if (cookie) headers.cookie = cookie;
      if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
      const res = await fetch(current, { method, headers, body: body?.toString(), redirect: 'manual' });
      for (const sc of res.headers.getSetCookie()) await this.jar.setCookie(sc, current, { ignoreError: true });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        const next = new URL(location, current).toString();
        // 307/308 keep method and body; 301/302/303 become GET, as browsers do.
        if (res.status !== 307 && res.status !== 308) {
          method = 'GET';
          body = undefined;
        }
        current = next;
        continue;
      }
      const text = await res.text();
      return { url: current, status: res.status, headers: res.headers, body: text, $: cheerio.load(text) };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  get(url: string): Promise<Page> {
    return this.request(url);
  }

  /** The form matching `selector` (default: the first form) with its current values. */
  form(page: Page, selector = 'form'): FormData {
    const f = page.$(selector).first();
    if (f.length === 0) throw new Error(`no form ${selector} on ${page.url}\n${page.body.slice(0, 2000)}`);
    const fields = new Map<string, string>();
    f.find('input, select, textarea').each((_i, el) => {
      const $el = page.$(el);
      const name = $el.attr('name');
      if (!name) return;
      const type = ($el.attr('type') ?? '').toLowerCase();
      if (type === 'submit' || type === 'button') return;
      if ((type === 'radio' || type === 'checkbox') && $el.attr('checked') === undefined) return;
      if (el.tagName === 'select') {
        const selected = $el.find('option[selected]').first();
        fields.set(name, (selected.length ? selected : $el.find('option').first()).attr('value') ?? '');
        return;
      }
      fields.set(name, $el.attr('value') ?? $el.text() ?? '');
    });
    return {
      action: new URL(f.attr('action') ?? page.url, page.url).toString(),
      method: (f.attr('method') ?? 'GET').toUpperCase(),
      fields,
    };
  }

  /** Submit a form, optionally overriding fields and adding the pressed button's name/value. */
  submit(page: Page, overrides: Record<string, string> = {}, selector = 'form'): Promise<Page> {
    const f = this.form(page, selector);
    for (const [k, v] of Object.entries(overrides)) f.fields.set(k, v);
    const params = new URLSearchParams([...f.fields]);
    if (f.method === 'POST') return this.request(f.action, { method: 'POST', body: params });
    const target = new URL(f.action);
    for (const [k, v] of params) target.searchParams.set(k, v);
    return this.request(target.toString());
  }

  /** A page whose script submits a form at once (SAML POST binding): do what the script does. */
  isAutoSubmit(page: Page): boolean {
    return /\.submit\(\)/.test(page.$('script').text()) && page.$('form').length === 1;
  }

  /** Keep submitting auto-submit forms until a page needs a person. */
  async settle(page: Page): Promise<Page> {
    let p = page;
    for (let i = 0; i < 5 && this.isAutoSubmit(p); i++) p = await this.submit(p);
    return p;
  }
}

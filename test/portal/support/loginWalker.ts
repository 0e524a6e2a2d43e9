// Drives a login through whatever screens the gateway shows, the way a person would: the
// gateway's own login page (sector, "Log in met eHerkenning"), the SAML POST binding, the mock
// broker, and every koppel wizard screen (tick the required/akkoord checkboxes, choose "Ik heb
// een gebruikersnaam…", fill gebruikersnaam and activatiecode when those fields appear). It
// follows forms instead of knowing URLs, so it keeps working while the wizard grows screens.
import type { Browser, Page } from '../../support/Browser.ts';

export interface WalkOptions {
  /** Gateway base URL: only forms on the gateway are filled in. */
  gatewayUrl: string;
  gebruikersnaam?: string;
  activatiecode?: string;
  /** Stop once the browser reaches a URL for which this is true (default: off the gateway's login screens). */
  until?: (url: string) => boolean;
  maxSteps?: number;
}

export interface WalkResult {
  page: Page;
  /** Paths of the gateway pages whose forms were submitted, in order. */
  steps: string[];
  /** True when a gebruikersnaam/activatiecode form was filled in. */
  koppeled: boolean;
}

const LOGIN_PATHS = /^\/(interaction|saml|oidc)\//;

function isGatewayLoginScreen(url: string, gatewayUrl: string): boolean {
  if (!url.startsWith(gatewayUrl)) return false;
  return LOGIN_PATHS.test(new URL(url).pathname);
}

/** Marks the form a person would submit on this page and answers the overrides for it. */
function chooseForm(page: Page, opts: WalkOptions): { overrides: Record<string, string>; koppel: boolean } | null {
  const $ = page.$;
  const forms = $('main form[method=post], main form[method=POST]').toArray();
  if (forms.length === 0) return null;
  const score = (f: (typeof forms)[number]): number => {
    const $f = $(f);
    let s = 0;
    if ($f.find('input[name=gebruikersnaam]').length) s += 8;
    if ($f.find('.utrecht-button--primary-action').length) s += 4;
    if (($f.attr('action') ?? '').includes('/interaction/')) s += 2;
    if (/annule|cancel|uitlog|logout|terug|back/i.test($f.attr('action') ?? '')) s -= 10;
    return s;
  };
  const form = forms.sort((a, b) => score(b) - score(a))[0]!;
  const $form = $(form);
  $('form').removeAttr('data-walk');
  $form.attr('data-walk', '1');

  const overrides: Record<string, string> = {};
  // Radio groups: the "Ik heb een gebruikersnaam…" choice, else whatever is checked, else the first.
  const groups = new Map<string, ReturnType<typeof $>[]>();
  $form.find('input[type=radio]').each((_i, el) => {
    const name = $(el).attr('name');
    if (!name) return;
    groups.set(name, [...(groups.get(name) ?? []), $(el)]);
  });
  for (const [name, radios] of groups) {
    const labelOf = (r: ReturnType<typeof $>) => {
      const id = r.attr('id');
      return (id ? $(`label[for="${id}"]`).text() : '') + r.parent('label').text();
    };
    const wanted = radios.find((r) => /ik heb een gebruikersnaam|i have a user name/i.test(labelOf(r)));
    const chosen = wanted ?? radios.find((r) => r.attr('checked') !== undefined) ?? radios[0]!;
    overrides[name] = chosen.attr('value') ?? 'on';
  }
  // Checkboxes that must be ticked to go on: required ones and "akkoord" statements.
  $form.find('input[type=checkbox]').each((_i, el) => {
    const $el = $(el);
    const name = $el.attr('name');
    if (!name) return;
    const id = $el.attr('id');
    const label = (id ? $(`label[for="${id}"]`).text() : '') + $el.parent('label').text();
    if ($el.attr('required') !== undefined || /akkoord|gelezen|agree|read/i.test(label)) overrides[name] = $el.attr('value') ?? 'on';
  });
  let koppel = false;
  if ($form.find('input[name=gebruikersnaam]').length && opts.gebruikersnaam !== undefined) {
    overrides.gebruikersnaam = opts.gebruikersnaam;
    koppel = true;
  }
  if ($form.find('input[name=activatiecode]').length && opts.activatiecode !== undefined) overrides.activatiecode = opts.activatiecode;
  // The pressed button's name/value, when it has one (e.g. "verder" next to "annuleren").
  const button = $form.find('button[type=submit].utrecht-button--primary-action, button.utrecht-button--primary-action').first();
  const pressed = button.length ? button : $form.find('button[type=submit], button:not([type])').first();
  const bname = pressed.attr('name');
  if (bname) overrides[bname] = pressed.attr('value') ?? '';
  return { overrides, koppel };
}

/** Walks from `start` until the browser leaves the gateway's login screens (or `until`). */
export async function walkLogin(browser: Browser, start: Page, opts: WalkOptions): Promise<WalkResult> {
  let page = start;
  const steps: string[] = [];
  let koppeled = false;
  const done = opts.until ?? ((url: string) => !isGatewayLoginScreen(url, opts.gatewayUrl) && url.startsWith(opts.gatewayUrl));
  for (let i = 0; i < (opts.maxSteps ?? 25); i++) {
    if (browser.isAutoSubmit(page)) {
      page = await browser.submit(page);
      continue;
    }
    if (done(page.url)) return { page, steps, koppeled };
    if (page.$('input[name=persona]').length > 0) {
      // The mock broker's persona screen (a preset chose the persona already).
      page = await browser.submit(page, { action: 'login' });
      continue;
    }
    if (!isGatewayLoginScreen(page.url, opts.gatewayUrl) || page.status >= 400) {
      throw new Error(`login walk stopped at ${page.status} ${page.url}: ${page.$('main').text().replace(/\s+/g, ' ').slice(0, 400)}`);
    }
    const chosen = chooseForm(page, opts);
    if (!chosen) {
      throw new Error(`no form to go on with at ${page.url}: ${page.$('main').text().replace(/\s+/g, ' ').slice(0, 400)}`);
    }
    steps.push(new URL(page.url).pathname);
    koppeled ||= chosen.koppel;
    page = await browser.submit(page, chosen.overrides, 'form[data-walk]');
  }
  throw new Error(`login walk did not finish; last page ${page.url}`);
}

// A running gateway + mock broker with two organisations, for the portal and beheer tests:
//   A  Basisschool De Regenboog (KvK 12345678): Jan (gebruiker, persona `jan`) and
//      Anna (beheerder, a persona of her own at the same KvK)
//   B  Stichting Noorderlicht (KvK 23456789): Bert (beheerder) and Bob (gebruiker)
// Data goes in through the `mijnduo` command functions, as in production. Mails of the
// gateway (beheer screens) land in `mailer`; seeding mails in a mailer of their own.
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import type { Account, MededelingenRegistry, Organisation } from '../../../gateway/src/accounts/AccountsRegistry.ts';
import { addAccount } from '../../../gateway/src/cli/accounts.ts';
import { issueActivationCode } from '../../../gateway/src/cli/codes.ts';
import { addOrganisation } from '../../../gateway/src/cli/organisations.ts';
import type { ManualClock } from '../../../gateway/src/clock.ts';
import { MemoryMailer } from '../../../gateway/src/mail/Mailer.ts';
import type { PersonaInput } from '../../../idp-mock/src/personas.ts';
import { Browser, type Page } from '../../support/Browser.ts';
import { cliContext } from '../../support/demoData.ts';
import { clockAtNow, startStack, type Stack, type StackOptions } from '../../support/stack.ts';
import { walkLogin, type WalkResult } from './loginWalker.ts';

export interface Person {
  account: Account;
  /** Activation code issued at seeding (printed, never mailed). */
  code: string;
  /** Mock broker persona: an id from config/idp-mock.yaml or a persona of its own. */
  persona: string | PersonaInput;
}

export interface World {
  stack: Stack;
  clock: ManualClock;
  /** The gateway's mailer (beheer screens). */
  mailer: MemoryMailer;
  orgA: Organisation;
  orgB: Organisation;
  jan: Person;
  anna: Person;
  bert: Person;
  bob: Person;
  close(): Promise<void>;
}

function persona(id: string, name: string, organisation: string, kvk: string): PersonaInput {
  // A fresh seed per run: a new pseudonym, so runs against a shared broker never collide.
  return { id, name, organisation, kvk, level: 'loa3', machtiging: true, seed: `${id}-${randomBytes(6).toString('hex')}` };
}

export function mededelingenOf(stack: Stack): MededelingenRegistry {
  const reg = stack.accounts as Partial<MededelingenRegistry>;
  assert.equal(typeof reg.createMededeling, 'function', 'the registry offers mededelingen');
  return reg as MededelingenRegistry;
}

export async function startWorld(opts: Pick<StackOptions, 'config'> = {}): Promise<World> {
  const clock = clockAtNow();
  const mailer = new MemoryMailer();
  const stack = await startStack({ clock, mailer, ...opts });
  const { ctx } = cliContext(stack);
  const orgA = await addOrganisation(ctx, { name: 'Basisschool De Regenboog', kvk: '12345678', sector: 'po' });
  const orgB = await addOrganisation(ctx, { name: 'Stichting Noorderlicht', kvk: '23456789', sector: 'vo' });
  const person = async (
    org: Organisation,
    p: string | PersonaInput,
    a: { name: string; email: string; rollen: string[]; kenmerken?: string[]; beheerder?: boolean },
  ): Promise<Person> => {
    const account = await addAccount(ctx, { org: org.id, phone: '+31 50 123 4567', kenmerken: [], ...a });
    const issued = await issueActivationCode(ctx, { gebruikersnaam: account.gebruikersnaam, print: true });
    assert.ok(issued.code);
    return { account, code: issued.code, persona: p };
  };
  const jan = await person(orgA, 'jan', {
    name: 'Jan Jansen',
    email: 'jan.jansen@regenboog.example',
    rollen: ['Leerlingadministratie', 'Bekostiging'],
    kenmerken: ['BRIN:12AB'],
  });
  const anna = await person(orgA, persona('anna', 'Anna de Vries', 'Basisschool De Regenboog', '12345678'), {
    name: 'Anna de Vries',
    email: 'anna.devries@regenboog.example',
    rollen: ['Examens'],
    beheerder: true,
  });
  const bert = await person(orgB, persona('bert', 'Bert Bakker', 'Stichting Noorderlicht', '23456789'), {
    name: 'Bert Bakker',
    email: 'bert@noorderlicht.example',
    rollen: [],
    beheerder: true,
  });
  const bob = await person(orgB, persona('bob', 'Bob Smit', 'Stichting Noorderlicht', '23456789'), {
    name: 'Bob Smit',
    email: 'bob@noorderlicht.example',
    rollen: ['Leerplicht'],
  });
  return { stack, clock, mailer, orgA, orgB, jan, anna, bert, bob, close: () => stack.close() };
}

export interface PortalLogin extends WalkResult {
  browser: Browser;
}

/**
 * Logs `who` in on the portal from its start page: Inloggen → gateway → broker → (koppel with
 * the given code, default the seeded one) → back on the portal.
 */
export async function portalLogin(
  world: World,
  who: Person,
  opts: { browser?: Browser; code?: string; from?: string } = {},
): Promise<PortalLogin> {
  const browser = opts.browser ?? new Browser();
  const base = world.stack.gatewayUrl;
  world.stack.mock.nextLogin({ persona: who.persona });
  const start = await browser.get(`${base}${opts.from ?? '/inloggen'}`);
  const walked = await walkLogin(browser, start, {
    gatewayUrl: base,
    gebruikersnaam: who.account.gebruikersnaam,
    activatiecode: opts.code ?? who.code,
  });
  return { ...walked, browser };
}

/** The form whose action ends with `action` on a page, with its CSRF token. */
export function csrfOf(page: Page): string {
  const token = page.$('input[name=_csrf]').first().attr('value');
  assert.ok(token, `no CSRF token on ${page.url}`);
  return token;
}

export function text(page: Page, selector: string): string {
  return page.$(selector).text().replace(/\s+/g, ' ').trim();
}

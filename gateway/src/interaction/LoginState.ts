// Server-side state of one login, keyed by the OIDC interaction uid. It holds what the broker
// face established (as a keyed subject hash — never the raw pseudonym) and where the person
// is in the koppel wizard. The browser only ever holds the interaction cookie.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyValueStore } from '../store/KeyValueStore.ts';
import type { LegalSubject, LoaLevel } from '../broker/EherkenningIdentity.ts';
import type { UndoneNotice } from '../koppel/Lifecycle.ts';

export type LoginStage = 'identified' | 'koppel';

/** Wizard steps in their fixed order (manual 1.2, stappen 2–5). */
export const WIZARD_STEPS = ['situatie', 'disclaimer', 'voorwaarden', 'koppelen', 'gelukt'] as const;
export type WizardStep = (typeof WIZARD_STEPS)[number];

export function isWizardStep(v: unknown): v is WizardStep {
  return typeof v === 'string' && (WIZARD_STEPS as readonly string[]).includes(v);
}

export function stepIndex(step: WizardStep): number {
  return WIZARD_STEPS.indexOf(step);
}

export interface LoginState {
  uid: string;
  stage: LoginStage;
  subjectHash: string;
  /** The legal subject the koppeling is made for (KvKnr preferred over RSIN). */
  legalSubject: LegalSubject;
  level: LoaLevel;
  broker: string;
  authnInstant: number;
  sessionNotOnOrAfter?: number;
  vestigingsnummer?: string;
  /** Synchronizer CSRF token for this login's forms. */
  csrf: string;
  /** Why an earlier koppeling was undone, to explain it on the first wizard screen. */
  undoneNotice?: UndoneNotice;
  /** Sector chosen on the login page (for the audit trail). */
  sector?: string;
  wizard: {
    /** The furthest step reached: steps after it cannot be seen or posted. */
    step: WizardStep;
    disclaimerAcceptedAt?: number;
    termsAcceptedAt?: number;
    /** Set once linked: the account to finish the login with. */
    linkedAccountId?: string;
  };
}

export class LoginStateStore {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly ttlMs: number,
  ) {}

  private key(uid: string): string {
    return `login:${uid}`;
  }

  async get(uid: string): Promise<LoginState | null> {
    const raw = await this.kv.get(this.key(uid));
    if (!raw) return null;
    const parsed = JSON.parse(raw) as LoginState;
    return parsed.uid === uid ? parsed : null;
  }

  async save(state: LoginState): Promise<void> {
    await this.kv.set(this.key(state.uid), JSON.stringify(state), this.ttlMs);
  }

  async delete(uid: string): Promise<void> {
    await this.kv.delete(this.key(uid));
  }

  // ---- Before the identity: the login and token pages ----
  // The LoginState only exists once the broker vouched for someone; the forms shown before
  // that need a CSRF token too. It lives in a small record per interaction uid, next to the
  // LoginState and with the same lifetime (a synchronizer token, like the wizard's). The uid
  // itself is bound to this browser by oidc-provider's interaction cookie, which every route
  // checks first.

  private preKey(uid: string): string {
    return `prelogin:${uid}`;
  }

  /** The record for `uid`, made on first use; concurrent first uses agree on one token. */
  async ensurePreLogin(uid: string): Promise<PreLogin> {
    const existing = await this.getPreLogin(uid);
    if (existing) return existing;
    const fresh: PreLogin = { uid, csrf: newCsrfToken() };
    await this.kv.setIfAbsent(this.preKey(uid), JSON.stringify(fresh), this.ttlMs);
    return (await this.getPreLogin(uid)) ?? fresh;
  }

  async getPreLogin(uid: string): Promise<PreLogin | null> {
    const raw = await this.kv.get(this.preKey(uid));
    if (!raw) return null;
    const parsed = JSON.parse(raw) as PreLogin;
    return parsed.uid === uid ? parsed : null;
  }

  async savePreLogin(p: PreLogin): Promise<void> {
    await this.kv.set(this.preKey(p.uid), JSON.stringify(p), this.ttlMs);
  }

  async deletePreLogin(uid: string): Promise<void> {
    await this.kv.delete(this.preKey(uid));
  }

  // ---- Flash: the outcome of a POST, shown once by the GET it redirects to ----
  // Kept apart from the state, so a refused attempt never overwrites a concurrent success.

  async setFlash(uid: string, flash: Flash): Promise<void> {
    await this.kv.set(`flash:${uid}`, JSON.stringify(flash), FLASH_TTL_MS);
  }

  /** The flash for `page`, taken once; a flash meant for another page is dropped. */
  async takeFlash(uid: string, page: string): Promise<Flash | null> {
    const raw = await this.kv.consume(`flash:${uid}`);
    if (!raw) return null;
    const f = JSON.parse(raw) as Flash;
    return f.page === page ? f : null;
  }
}

const FLASH_TTL_MS = 10 * 60 * 1000;

export interface PreLogin {
  uid: string;
  csrf: string;
  /** Sector chosen on the login page. */
  sector?: string;
}

/** What a POST leaves for the page it redirects to. Never holds a code. */
export interface Flash {
  page: string;
  /**
   * Message keys per field ('' for the form as a whole), in the order of the form; `until` is
   * a moment the message names (a lock's end).
   */
  errors?: { field: string; key: string; until?: number }[];
  /** Typed values to show again (never a code). */
  values?: Record<string, string>;
}

export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison of the synchronizer token with what the form sent. */
export function csrfMatches(expected: string, sent: unknown): boolean {
  if (typeof sent !== 'string' || !expected) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** KvKnr first: the koppeling is made per organisation as the Chamber of Commerce knows it. */
export function primaryLegalSubject(subjects: LegalSubject[]): LegalSubject {
  const kvk = subjects.find((s) => s.type === 'KvKnr');
  const first = kvk ?? subjects[0];
  if (!first) throw new Error('identity without legal subject');
  return first;
}

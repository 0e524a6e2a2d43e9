// Server-side state of one login, keyed by the OIDC interaction uid. It holds what the broker
// face established (as a keyed subject hash — never the raw pseudonym) and where the person
// is in the koppel wizard. The browser only ever holds the interaction cookie.
import { randomBytes } from 'node:crypto';
import type { KeyValueStore } from '../store/KeyValueStore.ts';
import type { LegalSubject, LoaLevel } from '../broker/EherkenningIdentity.ts';

export type LoginStage = 'identified' | 'koppel';

/** Wizard steps in their fixed order (manual 1.2, stappen 2–5). */
export const WIZARD_STEPS = ['situatie', 'disclaimer', 'voorwaarden', 'koppelen', 'gelukt'] as const;
export type WizardStep = (typeof WIZARD_STEPS)[number];

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
  undoneNotice?: 'inactive' | 'beheerder';
  wizard: {
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
}

export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

/** KvKnr first: the koppeling is made per organisation as the Chamber of Commerce knows it. */
export function primaryLegalSubject(subjects: LegalSubject[]): LegalSubject {
  const kvk = subjects.find((s) => s.type === 'KvKnr');
  const first = kvk ?? subjects[0];
  if (!first) throw new Error('identity without legal subject');
  return first;
}

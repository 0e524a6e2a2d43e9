// Bench data: one organisation + account per persona, each already linked (koppeling) to the
// pseudonym the mock broker sends for that persona, through the registry's own
// linkWithActivationCode — the same transaction the koppel step runs.
import type { Account, AccountsRegistry } from '../../gateway/src/accounts/AccountsRegistry.ts';
import type { Clock } from '../../gateway/src/clock.ts';
import { generateActivationCode, hashActivationCode } from '../../gateway/src/koppel/ActivationCode.ts';
import { subjectHash } from '../../gateway/src/koppel/SubjectHash.ts';
import type Provider from 'oidc-provider';
import { personaSchema, pseudonymFor, type PersonaInput } from '../../idp-mock/src/personas.ts';

export async function seedLinkedAccounts(opts: {
  accounts: AccountsRegistry;
  clock: Clock;
  personas: PersonaInput[];
  spEntityId: string;
  brokerEntityId: string;
  subjectHashKey: string;
  activationCodeKey: string;
}): Promise<Account[]> {
  const out: Account[] = [];
  const now = opts.clock.now();
  for (const input of opts.personas) {
    const persona = personaSchema.parse(input);
    const org = await opts.accounts.createOrganisation({ name: persona.organisation, kvk: persona.kvk, sector: 'po' });
    const account = await opts.accounts.createAccount({
      organisationId: org.id,
      name: persona.name,
      email: `${persona.id}@bench.example`,
      phone: '+31 50 123 4567',
      rollen: ['Leerlingadministratie', 'Bekostiging'],
      kenmerken: ['BRIN:12AB'],
    });
    const code = generateActivationCode();
    await opts.accounts.issueActivationCode({
      accountId: account.id,
      codeHash: hashActivationCode(code, opts.activationCodeKey),
      issuedAt: now,
      expiresAt: now + 3_600_000,
    });
    const legal = { type: 'KvKnr' as const, value: persona.kvk };
    const linked = await opts.accounts.linkWithActivationCode({
      gebruikersnaam: account.gebruikersnaam,
      codeHash: hashActivationCode(code, opts.activationCodeKey),
      now,
      subjectHash: subjectHash(opts.subjectHashKey, pseudonymFor(persona, opts.spEntityId), legal),
      broker: opts.brokerEntityId,
      legalSubjectType: legal.type,
      legalSubjectValue: legal.value,
      disclaimerVersion: '2021-10',
      termsVersion: '2021-10',
      acceptedAt: now,
    });
    if (!linked.ok) throw new Error(`seeding ${persona.id}: ${linked.reason}`);
    out.push(account);
  }
  return out;
}

/**
 * A refresh token with offline_access for `accountId`, minted through oidc-provider's own
 * models (Grant + RefreshToken), exactly as the code flow would leave them. The same function
 * serves the gateway and the bare provider, so both token endpoints see the same token shape.
 */
export async function mintRefreshToken(provider: Provider, accountId: string, clientId: string, scope: string): Promise<string> {
  const client = await provider.Client.find(clientId);
  if (!client) throw new Error(`no client ${clientId}`);
  const grant = new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(scope);
  const grantId = await grant.save();
  const token = new provider.RefreshToken({
    accountId,
    client,
    grantId,
    scope,
    gty: 'authorization_code',
    acr: 'urn:etoegang:core:assurance-class:loa3',
    amr: ['eherkenning'],
    authTime: Math.floor(Date.now() / 1000),
  });
  return token.save();
}

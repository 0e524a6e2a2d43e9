import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Account, Organisation } from '../../gateway/src/accounts/AccountsRegistry.ts';
import { buildClaims, CLAIMS_BY_SCOPE } from '../../gateway/src/apps/claims.ts';
import {
  ClientConfigError,
  clientMetadata,
  clientOrigins,
  clientsFromConfig,
  FIRST_PARTY,
  isFirstParty,
} from '../../gateway/src/apps/clients.ts';
import type { OidcClientConfig } from '../../gateway/src/config.ts';

function client(extra: Partial<OidcClientConfig> = {}): OidcClientConfig {
  return {
    client_id: 'duo-app',
    redirect_uris: ['https://app.duo.example/callback'],
    post_logout_redirect_uris: ['https://app.duo.example/'],
    token_endpoint_auth_method: 'client_secret_basic',
    first_party: true,
    ...extra,
  };
}

describe('apps/clients', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'apps-clients-'));

  it('builds code-flow client metadata with an inline secret', () => {
    const m = clientMetadata(client({ client_secret: 's'.repeat(32), name: 'DUO App' }));
    assert.equal(m.client_id, 'duo-app');
    assert.equal(m.client_secret, 's'.repeat(32));
    assert.equal(m.client_name, 'DUO App');
    assert.deepEqual(m.response_types, ['code']);
    assert.deepEqual(m.grant_types, ['authorization_code', 'refresh_token']);
    assert.deepEqual(m.redirect_uris, ['https://app.duo.example/callback']);
    assert.deepEqual(m.post_logout_redirect_uris, ['https://app.duo.example/']);
    assert.equal(m[FIRST_PARTY], true);
    assert.equal(isFirstParty(m), true);
    assert.equal(isFirstParty(clientMetadata(client({ client_secret: 's'.repeat(32), first_party: false }))), false);
  });

  it('reads the secret from client_secret_file (trimmed), absolute or project-relative', () => {
    const file = path.join(dir, 'app.secret');
    writeFileSync(file, 'from-a-file-0123456789\n');
    assert.equal(clientMetadata(client({ client_secret_file: file })).client_secret, 'from-a-file-0123456789');
  });

  it('names the client and the file when the secret file is missing', () => {
    const file = path.join(dir, 'missing.secret');
    assert.throws(
      () => clientMetadata(client({ client_secret_file: file })),
      (err: unknown) =>
        err instanceof ClientConfigError && err.message.includes('"duo-app"') && err.message.includes(file) && /does not exist/.test(err.message),
    );
  });

  it('refuses a short secret in a file, and a confidential client without a secret', () => {
    const file = path.join(dir, 'short.secret');
    writeFileSync(file, 'short');
    assert.throws(() => clientMetadata(client({ client_secret_file: file })), /shorter than 16/);
    assert.throws(() => clientMetadata(client()), /needs client_secret or client_secret_file/);
  });

  it('a public client needs no secret', () => {
    const m = clientMetadata(client({ token_endpoint_auth_method: 'none' }));
    assert.equal(m.client_secret, undefined);
    assert.equal(m.token_endpoint_auth_method, 'none');
  });

  it('refuses a client configured twice and lists the origins for form-action', () => {
    const a = client({ client_secret: 's'.repeat(32) });
    assert.throws(() => clientsFromConfig({ oidc: { clients: [a, a], ttl: {} as never } }), /configured twice/);
    assert.deepEqual(
      clientOrigins({ oidc: { clients: [a, client({ client_id: 'b', redirect_uris: ['http://localhost:3200/cb'] })], ttl: {} as never } }),
      ['https://app.duo.example', 'http://localhost:3200'],
    );
  });
});

describe('apps/claims', () => {
  const organisation: Organisation = { id: 'o', name: 'Gemeente Zwolle', kvk: '87654321', rsin: null, sector: 'gemeenten', createdAt: 0 };
  const account: Account = {
    id: '6f1c0d5e-8a43-4b7e-9d1a-2c3b4d5e6f70',
    gebruikersnaam: '1234abcd',
    organisationId: 'o',
    name: 'Jan Jansen',
    email: 'jan@zwolle.example',
    phone: null,
    beheerder: true,
    status: 'active',
    totpSecret: 'SECRET',
    rollen: ['beheerder'],
    kenmerken: [],
    createdAt: 0,
  };

  it('maps account, organisation and login facts; nothing more', () => {
    const c = buildClaims(account, organisation, { acr: 'urn:etoegang:core:assurance-class:loa4', amr: ['eherkenning'], authTime: 1700000000 });
    assert.deepEqual(c, {
      sub: account.id,
      name: 'Jan Jansen',
      email: 'jan@zwolle.example',
      organisation: { name: 'Gemeente Zwolle', kvk: '87654321', sector: 'gemeenten' },
      rollen: ['beheerder'],
      kenmerken: [],
      acr: 'urn:etoegang:core:assurance-class:loa4',
      amr: ['eherkenning'],
      auth_time: 1700000000,
    });
    assert.equal(JSON.stringify(c).includes('SECRET'), false, 'never the TOTP secret');
    assert.equal(JSON.stringify(c).includes('1234abcd'), false, 'never the gebruikersnaam');
  });

  it('scopes map to the documented claims', () => {
    assert.deepEqual(CLAIMS_BY_SCOPE.openid, ['sub', 'acr', 'amr', 'auth_time']);
    assert.deepEqual(CLAIMS_BY_SCOPE.profile, ['name']);
    assert.deepEqual(CLAIMS_BY_SCOPE.email, ['email']);
    assert.deepEqual(CLAIMS_BY_SCOPE.phone, ['phone_number']);
    assert.deepEqual(CLAIMS_BY_SCOPE.mijnduo, ['organisation', 'rollen', 'kenmerken']);
  });
});

// The Mijn DUO portal and the beheer screens, as one Express router for the composition root.
// Mount it after the gateway's own faces (it owns /, /inloggen, /mijn-gegevens, /uitloggen,
// /uitgelogd, /beheer/…) and build the OIDC provider with withPortalClient(config, secrets).
import { Router } from 'express';
import { beheerRoutes } from './beheerRoutes.ts';
import { KoppelBeheer } from './koppelBeheer.ts';
import { PortalCore, type PortalDeps } from './PortalCore.ts';
import { portalRoutes } from './portalRoutes.ts';

export { withPortalClient, portalClientConfig, internalBase, internalFetch } from './PortalClient.ts';
export type { PortalDeps } from './PortalCore.ts';

export function portalRouter(deps: PortalDeps): Router {
  const core = new PortalCore(deps);
  const koppel = new KoppelBeheer({ kv: deps.kv, accounts: deps.accounts, clock: deps.clock, config: deps.config });
  const r = Router();
  r.use(portalRoutes(core));
  r.use(beheerRoutes(core, koppel));
  return r;
}

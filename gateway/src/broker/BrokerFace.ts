// The seam between the broker face and the rest of the gateway. broker/ knows nothing of
// OIDC; it hands over an EherkenningIdentity (or a failure) for a login key it was given.
import type { Request, Response, Router } from 'express';
import type { EherkenningIdentity } from './EherkenningIdentity.ts';

/** Why a login was refused; `code` is shown to the person (helpdesk lookup) and logged. */
export interface BrokerFailure {
  /** Stable reason code, e.g. 'level-too-low', 'service-id-mismatch', 'signature-invalid'. */
  code: string;
  /** The person cancelled at the broker (Responder/AuthnFailed): a calm page, not an error. */
  cancelled: boolean;
  /** Correlation id shown on the error page and written to the log and audit trail. */
  correlationId: string;
  /** HTTP status for the error page: 400 or 403 (never 500 for hostile input); 503/504 for outages. */
  httpStatus: number;
  /** The login key the failed exchange belonged to, when it could be established safely. */
  loginKey: string | null;
}

export interface BrokerFaceHandlers {
  /** Called once per accepted assertion. `loginKey` is the key given to startLogin. */
  onIdentity(req: Request, res: Response, identity: EherkenningIdentity, loginKey: string): Promise<void>;
  /** Called for every refusal; must render the page, set no cookie, store nothing. */
  onFailure(req: Request, res: Response, failure: BrokerFailure): Promise<void>;
}

export interface BrokerFace {
  /** Routes: GET /saml/metadata, GET+POST /saml/acs (mounted at the app root). */
  router: Router;
  /**
   * Start an eHerkenning login for `loginKey` (the OIDC interaction uid): builds and signs the
   * AuthnRequest, remembers its ID bound to this browser, and answers with the auto-submitting
   * POST form or the Redirect. `broker` is the EntityID of one of the configured brokers (the
   * one the person chose); without it the first configured broker is used.
   */
  startLogin(req: Request, res: Response, opts: { loginKey: string; lang?: 'nl' | 'en'; broker?: string }): Promise<void>;
  /** Signed SP metadata XML. */
  spMetadata(): Promise<string>;
  /** Signed dienstcatalogus XML for the broker. */
  serviceCatalogue(): Promise<string>;
  /** For readiness: broker metadata loaded and valid. */
  ready(): Promise<{ ok: boolean; detail?: string }>;
}

// HTTP routes of the broker face: SP metadata, dienstcatalogus, and the ACS (GET and POST).
// The ACS never renders anything itself: it hands an identity or a failure to the handlers.
import express, { type Request, type Response, type Router } from 'express';

export interface RouteActions {
  spMetadata(): Promise<string>;
  serviceCatalogue(): Promise<string>;
  acs(req: Request, res: Response, input: { samlArt: unknown; relayState: unknown; extra: boolean }): Promise<void>;
  badRequest(req: Request, res: Response): Promise<void>;
}

/** Browser-facing SAML responses must not be cached (AS: Interface specifications web). */
export function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-cache, no-store');
  res.setHeader('Pragma', 'no-cache');
}

const ACS_PARAMS = new Set(['SAMLart', 'RelayState']);

function params(source: unknown): Record<string, unknown> {
  return source && typeof source === 'object' ? (source as Record<string, unknown>) : {};
}

export function brokerRoutes(actions: RouteActions): Router {
  const router = express.Router();
  const bodyParser = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 });

  router.get('/saml/metadata', async (_req, res, next) => {
    try {
      const xml = await actions.spMetadata();
      res.status(200).type('application/samlmetadata+xml').send(xml);
    } catch (e) {
      next(e);
    }
  });

  router.get('/saml/dienstcatalogus', async (_req, res, next) => {
    try {
      const xml = await actions.serviceCatalogue();
      res.status(200).type('application/xml').send(xml);
    } catch (e) {
      next(e);
    }
  });

  const handle = async (req: Request, res: Response, source: Record<string, unknown>): Promise<void> => {
    // Only the artifact binding: a POSTed SAMLResponse or anything unexpected is refused.
    const extra = Object.keys(source).some((k) => !ACS_PARAMS.has(k));
    let samlArt = source.SAMLart;
    // A broker that forgot to URL-encode turns '+' into ' '.
    if (typeof samlArt === 'string') samlArt = samlArt.replace(/ /g, '+');
    await actions.acs(req, res, { samlArt, relayState: source.RelayState, extra });
  };

  router.get('/saml/acs', async (req, res, next) => {
    try {
      await handle(req, res, params(req.query));
    } catch (e) {
      next(e);
    }
  });

  router.post('/saml/acs', (req, res, next) => {
    const go = async (): Promise<void> => {
      const body = params(req.body);
      await handle(req, res, Object.keys(body).length > 0 ? body : params(req.query));
    };
    if (req.body !== undefined && typeof req.body === 'object') {
      go().catch(next);
      return;
    }
    bodyParser(req, res, (err?: unknown) => {
      if (err) {
        actions.badRequest(req, res).catch(next);
        return;
      }
      go().catch(next);
    });
  });

  return router;
}

// Rule 9, the wire: one SOAP POST over mutual TLS. Our client certificate, the broker's TLS
// server certificate checked against the configured CA only (not the SAML signing cert, not
// the system store), host name checked, a connect timeout, a total timeout and a size cap.
// Errors carry reason codes only; nothing from the server reaches the caller's page.
//
// Performance: connections are kept alive and reused (one pool, BACK_CHANNEL_AGENT). A new TLS
// connection costs a full mutual-TLS handshake (our CertificateVerify signature, the broker's
// chain checked, key exchange) plus building a SecureContext from the PEMs; per artifact that
// was most of the resolve time under load. Reuse is safe: node's Agent pools a socket only for
// requests with the SAME TLS options (key, cert, ca, servername, rejectUnauthorized,
// minVersion… are all part of its pool key), so a reused connection is one that was made with
// this very client identity and verified against this very CA and host name. The one thing
// reuse adds — the broker closing an idle connection at the moment we reuse it — is retried
// once on a fresh connection (see send()).
import type { ClientRequest } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { BrokerRejection } from './BrokerRejection.ts';

export interface SoapRequest {
  url: string;
  body: string;
  contentType: 'text/xml' | 'application/soap+xml';
  clientKeyPem: string;
  clientCertPem: string;
  caPem: string;
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxResponseBytes: number;
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'EPROTO',
]);

/**
 * Keep-alive pool for the back channel. Idle sockets are closed after 4 s (below the usual 5 s
 * server keep-alive; node also honours a shorter Keep-Alive: timeout=… from the broker), so we
 * rarely write to a connection the broker is closing. No maxSockets: a request never queues
 * behind others (a queued request would eat into its connect timeout).
 */
export const BACK_CHANNEL_AGENT = new https.Agent({ keepAlive: true, keepAliveMsecs: 1_000, timeout: 4_000, scheduling: 'lifo' });

export function soapPost(req: SoapRequest): Promise<Buffer> {
  const url = new URL(req.url);
  if (url.protocol !== 'https:') return Promise.reject(new BrokerRejection('artifact-resolve-unavailable', { why: 'ARS is not https' }));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const headers: Record<string, string> = {
    'content-type': `${req.contentType}; charset=utf-8`,
    'content-length': String(Buffer.byteLength(req.body, 'utf8')),
    accept: 'text/xml, application/soap+xml',
  };
  if (req.contentType === 'text/xml') headers.soapaction = '"http://www.oasis-open.org/committees/security"';

  return new Promise<Buffer>((resolve, reject) => {
    let settled = false;
    let request: ClientRequest;
    let connectTimer: NodeJS.Timeout | undefined;
    const finish = (err: BrokerRejection | null, body?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(totalTimer);
      if (err) {
        request.destroy();
        reject(err);
      } else resolve(body!);
    };
    const totalTimer = setTimeout(
      () => finish(new BrokerRejection('artifact-resolve-timeout', { phase: 'total' })),
      req.totalTimeoutMs,
    );

    const send = (agent: https.Agent | false): void => {
      let answered = false;
      const current = https.request({
        protocol: 'https:',
        hostname: host,
        port: url.port ? Number(url.port) : 443,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers,
        key: req.clientKeyPem,
        cert: req.clientCertPem,
        ca: req.caPem,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        // SNI only for names; the certificate is checked against the host either way.
        ...(net.isIP(host) ? {} : { servername: host }),
        agent,
      });
      request = current;
      clearTimeout(connectTimer);
      connectTimer = setTimeout(
        () => finish(new BrokerRejection('artifact-resolve-timeout', { phase: 'connect' })),
        req.connectTimeoutMs,
      );
      current.on('socket', (socket) => {
        // A reused keep-alive socket is connected (and was verified) already: no 'secureConnect' comes.
        if (current.reusedSocket) clearTimeout(connectTimer);
        else socket.once('secureConnect', () => clearTimeout(connectTimer));
      });
      current.on('error', (err: NodeJS.ErrnoException) => {
        if (settled || current !== request) return;
        const code = err.code ?? '';
        // The broker closed an idle kept-alive connection just as we reused it: it read nothing,
        // so the same request goes once more, on a connection of its own. (Had it read the
        // ArtifactResolve, a second one would be refused as a replay: never a double login.)
        if (agent !== false && current.reusedSocket && !answered && (code === 'ECONNRESET' || code === 'EPIPE')) {
          current.destroy();
          send(false);
          return;
        }
        if (TLS_CODES.has(code) || /certificate|ssl|tls/i.test(err.message)) {
          finish(new BrokerRejection('artifact-resolve-tls-failed', { tls: code }));
        } else {
          finish(new BrokerRejection('artifact-resolve-unavailable', { net: code }));
        }
      });
      current.on('response', (res) => {
        answered = true;
        if (res.statusCode !== 200) {
          res.resume();
          finish(new BrokerRejection('artifact-resolve-http-error', { status: res.statusCode }));
          return;
        }
        const declared = Number(res.headers['content-length'] ?? '0');
        if (declared > req.maxResponseBytes) {
          finish(new BrokerRejection('artifact-resolve-too-large', { declared }));
          return;
        }
        const chunks: Buffer[] = [];
        let total = 0;
        res.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > req.maxResponseBytes) {
            finish(new BrokerRejection('artifact-resolve-too-large', { received: total }));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => finish(null, Buffer.concat(chunks)));
        res.on('error', () => finish(new BrokerRejection('artifact-resolve-unavailable', { why: 'response stream' })));
        res.on('aborted', () => finish(new BrokerRejection('artifact-resolve-unavailable', { why: 'aborted' })));
      });
      current.end(req.body, 'utf8');
    };
    send(BACK_CHANNEL_AGENT);
  });
}

// Rule 9, the wire: one SOAP POST over mutual TLS. Our client certificate, the broker's TLS
// server certificate checked against the configured CA only (not the SAML signing cert, not
// the system store), host name checked, a connect timeout, a total timeout and a size cap.
// Errors carry reason codes only; nothing from the server reaches the caller's page.
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
    const request = https.request({
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
      agent: false,
    });
    const connectTimer = setTimeout(
      () => finish(new BrokerRejection('artifact-resolve-timeout', { phase: 'connect' })),
      req.connectTimeoutMs,
    );
    const totalTimer = setTimeout(
      () => finish(new BrokerRejection('artifact-resolve-timeout', { phase: 'total' })),
      req.totalTimeoutMs,
    );
    request.on('socket', (socket) => {
      socket.once('secureConnect', () => clearTimeout(connectTimer));
    });
    request.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (TLS_CODES.has(code) || /certificate|ssl|tls/i.test(err.message)) {
        finish(new BrokerRejection('artifact-resolve-tls-failed', { tls: code }));
      } else {
        finish(new BrokerRejection('artifact-resolve-unavailable', { net: code }));
      }
    });
    request.on('response', (res) => {
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
    request.end(req.body, 'utf8');
  });
}

// The back channel keeps its mutual-TLS connections alive (performance, docs/performance.md):
// a second artifact resolution reuses the verified connection instead of a new handshake, a
// connection with another trust (CA) is never shared, and a kept-alive connection the broker
// closes just as it is reused is retried once on a fresh connection.
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { soapPost, type SoapRequest } from '../../gateway/src/broker/SoapClient.ts';
import { BrokerRejection } from '../../gateway/src/broker/BrokerRejection.ts';
import { testPki, type TestPki } from '../support/saml/pki.ts';

interface Ars {
  url: string;
  /** Every request: which connection (1-based, in order of arrival) and whether it was its first request. */
  calls: Array<{ connection: number; authorized: boolean }>;
  /** When set, the n-th request (1-based) has its connection destroyed without an answer. */
  dropRequest: number | null;
  close(): Promise<void>;
}

async function startArs(pki: TestPki, serverIdentity: { keyPem: string; certPem: string }): Promise<Ars> {
  const connections = new WeakMap<object, number>();
  let connectionCount = 0;
  const ars: Ars = { url: '', calls: [], dropRequest: null, close: async () => undefined };
  const server = https.createServer(
    {
      key: serverIdentity.keyPem,
      cert: serverIdentity.certPem,
      ca: pki.clientCa.certPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      if (!connections.has(socket)) connections.set(socket, ++connectionCount);
      ars.calls.push({ connection: connections.get(socket)!, authorized: socket.authorized });
      if (ars.dropRequest === ars.calls.length) {
        socket.destroy();
        return;
      }
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
        res.end('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>');
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ars.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/ars`;
  ars.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return ars;
}

function request(pki: TestPki, url: string, caPem: string): SoapRequest {
  return {
    url,
    body: '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>',
    contentType: 'text/xml',
    clientKeyPem: pki.tlsClient.keyPem,
    clientCertPem: pki.tlsClient.certPem,
    caPem,
    connectTimeoutMs: 2000,
    totalTimeoutMs: 5000,
    maxResponseBytes: 100_000,
  };
}

describe('broker face: back channel keep-alive', function () {
  this.timeout(30_000);
  let pki: TestPki;
  let ars: Ars;

  before(async () => {
    pki = await testPki();
  });
  beforeEach(async () => {
    ars = await startArs(pki, pki.tlsServer);
  });
  afterEach(async () => {
    await ars.close();
  });

  it('reuses the verified mutual-TLS connection for the next resolution', async () => {
    await soapPost(request(pki, ars.url, pki.tlsCa.certPem));
    await soapPost(request(pki, ars.url, pki.tlsCa.certPem));
    assert.equal(ars.calls.length, 2);
    assert.deepEqual(
      ars.calls.map((c) => c.connection),
      [1, 1],
      'one handshake, two requests',
    );
    assert.ok(ars.calls.every((c) => c.authorized), 'our client certificate was checked');
  });

  it('never shares a connection between different trust settings (another CA is another pool)', async () => {
    await soapPost(request(pki, ars.url, pki.tlsCa.certPem));
    // The same server, but trusted through a bundle that also holds another CA: a new connection
    // that is verified on its own.
    await soapPost(request(pki, ars.url, `${pki.tlsCa.certPem}${pki.rogueCa.certPem}`));
    assert.deepEqual(
      ars.calls.map((c) => c.connection),
      [1, 2],
    );
    // And a CA that does not issue this server's certificate still gets nowhere, pool or not.
    await assert.rejects(soapPost(request(pki, ars.url, pki.rogueCa.certPem)), (e: unknown) => e instanceof BrokerRejection && e.code === 'artifact-resolve-tls-failed');
    assert.equal(ars.calls.length, 2, 'nothing was sent to an unverified server');
  });

  it('retries once on a fresh connection when the broker drops the reused one', async () => {
    await soapPost(request(pki, ars.url, pki.tlsCa.certPem));
    ars.dropRequest = 2;
    const body = await soapPost(request(pki, ars.url, pki.tlsCa.certPem));
    assert.match(body.toString('utf8'), /soap:Body/);
    assert.deepEqual(
      ars.calls.map((c) => c.connection),
      [1, 1, 2],
      'the dropped request went again, on a new connection',
    );
  });

  it('does not retry when a fresh connection fails', async () => {
    ars.dropRequest = 1;
    await assert.rejects(soapPost(request(pki, ars.url, pki.tlsCa.certPem)), (e: unknown) => e instanceof BrokerRejection && e.code === 'artifact-resolve-unavailable');
    assert.equal(ars.calls.length, 1);
  });
});

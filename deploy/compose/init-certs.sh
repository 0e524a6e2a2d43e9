#!/bin/sh
# Run once by the `init-certs` service of docker-compose.yml (and by test/ops/compose.test.ts).
# The development keys in ./certs name only localhost and 127.0.0.1; inside the compose network
# the gateway reaches the mock broker's artifact resolution service as https://idp-mock:3101,
# and browsers reach the proxy as https://localhost:8443. This issues two TLS server
# certificates from the development CA for those names, and hands the mock broker its keys.
#
# In:  $CERTS (the development keys: dev-ca.crt/.key, idp-mock-signing.key/.crt)
# Out: $MOCK_KEYS (everything the mock broker reads), $PROXY_TLS (proxy.crt, proxy.key)
set -eu
CERTS=${CERTS:-/certs}
MOCK_KEYS=${MOCK_KEYS:-/mock-keys}
PROXY_TLS=${PROXY_TLS:-/proxy-tls}
# The uid the gateway image runs as (user node), so the mock broker can read its key.
MOCK_UID=${MOCK_UID:-1000}

command -v openssl >/dev/null 2>&1 || apk add --no-cache openssl >/dev/null

for f in dev-ca.crt dev-ca.key idp-mock-signing.key idp-mock-signing.crt; do
  [ -r "$CERTS/$f" ] || { echo "missing $CERTS/$f: run 'npm run cli -- keys generate-dev' first" >&2; exit 1; }
done
mkdir -p "$MOCK_KEYS" "$PROXY_TLS"

issue() { # issue <key out> <cert out> <common name> <subjectAltName>
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -sha256 \
    -subj "/CN=$3/O=mijnduo compose" \
    -addext "subjectAltName=$4" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature,keyEncipherment" \
    -addext "extendedKeyUsage=serverAuth" \
    -CA "$CERTS/dev-ca.crt" -CAkey "$CERTS/dev-ca.key" \
    -keyout "$1" -out "$2" 2>/dev/null
}

issue "$MOCK_KEYS/idp-mock-tls.key" "$MOCK_KEYS/idp-mock-tls.crt" idp-mock "DNS:idp-mock,DNS:localhost,IP:127.0.0.1"
cp "$CERTS/idp-mock-signing.key" "$CERTS/idp-mock-signing.crt" "$CERTS/dev-ca.crt" "$MOCK_KEYS/"
issue "$PROXY_TLS/proxy.key" "$PROXY_TLS/proxy.crt" localhost "DNS:localhost,IP:127.0.0.1"

chmod 0600 "$MOCK_KEYS"/*.key
chmod 0644 "$MOCK_KEYS"/*.crt "$PROXY_TLS/proxy.crt"
chmod 0600 "$PROXY_TLS/proxy.key"
if [ "$(id -u)" = 0 ]; then chown -R "$MOCK_UID:$MOCK_UID" "$MOCK_KEYS"; fi
echo "init-certs: TLS certificates for idp-mock and the proxy issued from the development CA"

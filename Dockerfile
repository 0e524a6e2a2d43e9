# One image for the gateway and the mock broker; the command picks which one runs.
# Runs TypeScript directly with tsx (the version in package-lock.json), as `npm run gateway` does.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm install --no-save --no-audit --no-fund "tsx@$(node -p "require('./package-lock.json').packages['node_modules/tsx'].version")" \
 && npm cache clean --force
COPY gateway ./gateway
COPY idp-mock ./idp-mock
COPY demo-app ./demo-app
COPY scripts ./scripts
COPY config ./config
COPY bin ./bin
USER node
# 3000: the gateway (behind the TLS proxy); 9464: /metrics and /health/* when ops.listen is set.
EXPOSE 3000 9464
# node itself is PID 1's child (compose: init: true) and receives SIGTERM: graceful stop
# (readiness 503, requests in flight finish within ops.shutdownGraceMs, stores closed).
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "gateway/src/main.ts"]

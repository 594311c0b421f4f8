# syntax=docker/dockerfile:1
# The web app image: the Vite build served by nginx (deploy/docker/nginx.conf: SPA fallback,
# gzip, cache headers; /api/ is left to the backend).
#   docker build -f deploy/docker/frontend.Dockerfile -t rendermart-frontend .

# Build: the web app's own lock file and build script, as scripts/build.sh runs them. The API
# types are checked against openapi/, so it comes along.
FROM node:20-bookworm AS build
WORKDIR /src
COPY web/package.json web/package-lock.json web/
RUN cd web && npm ci --no-audit --no-fund
COPY openapi/ openapi/
COPY web/ web/
RUN cd web && npm run build

# Runtime: Debian 12's nginx (the same nginx and config that tests/deploy/nginx.test.mjs runs),
# as an unprivileged user on port 8080 with a read-only root file system (temporary files in
# /tmp).
FROM debian:12-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx-light \
    && rm -rf /var/lib/apt/lists/* /var/www/html \
    && groupadd --system --gid 10001 rendermart \
    && useradd --system --uid 10001 --gid rendermart --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin rendermart
COPY deploy/docker/nginx.conf /etc/nginx/nginx.conf
COPY --from=build /src/web/dist /usr/share/rendermart/web
USER 10001:10001
EXPOSE 8080
# -e stderr: nginx would otherwise try its built-in log file first, on the read-only file system.
ENTRYPOINT ["nginx", "-e", "stderr", "-g", "daemon off;"]

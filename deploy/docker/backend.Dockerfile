# syntax=docker/dockerfile:1
# The backend image: one binary for the api, worker and migrate roles (and `rendermart lambda`).
#   docker build -f deploy/docker/backend.Dockerfile -t rendermart-backend .
#   docker run rendermart-backend api | worker | migrate | --help

# Build: Debian 12 (bookworm) with Node.js 20, which the web app's build needs, running the same
# scripts/build.sh as the README and CI (`serve`: the binary and the web app, not the tests).
FROM node:20-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/src/build \
    --mount=type=cache,target=/var/cache/apt,sharing=locked \
    bash scripts/build.sh serve \
    && strip --strip-debug -o /rendermart build/rendermart

# Runtime: Debian 12 with only the shared libraries that the binary links, as listed in
# runtime-packages.txt (tests/deploy/check_runtime_libs.sh fails when the list misses one), and
# the binary. No shell tools beyond the base image, no compiler, no root.
FROM debian:12-slim AS runtime
COPY deploy/docker/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
    && grep -v '^#' /tmp/runtime-packages.txt | xargs apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
    && groupadd --system --gid 10001 rendermart \
    && useradd --system --uid 10001 --gid rendermart --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin rendermart
COPY --from=build /rendermart /usr/local/bin/rendermart
ENV RENDERMART_BIND=0.0.0.0 \
    RENDERMART_DATA_DIR=/tmp/rendermart
USER 10001:10001
EXPOSE 3300
ENTRYPOINT ["/usr/local/bin/rendermart"]
CMD ["api"]

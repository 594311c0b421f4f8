# syntax=docker/dockerfile:1
# The backend images, two targets of this file:
#   docker build -f deploy/docker/backend.Dockerfile --target backend -t rendermart-backend .
#   docker build -f deploy/docker/backend.Dockerfile --target worker -t rendermart-worker .
# rendermart-backend (the default target) runs rendermart-slim, the binary without the local
# diffusion engine: the api and migrate roles, and workers that only call cloud providers or the
# demo generator. It has no libtorch (30 MB of libraries instead of 530), so an API process fits
# the API pod's 128Mi. rendermart-worker runs rendermart with the local engine, for workers that
# run local models. One file, because both share the build and every runtime package but the
# engine's: each target builds and installs only what its binary needs.
#   docker run rendermart-backend api | worker | migrate | --help

# Build: Debian 12 (bookworm) with the packages of scripts/install-deps.sh (`serve`: building and
# running, not the tests). The build folder is a cache that both targets share, one at a time
# (sharing=locked), so the second reuses the libraries that the first compiled.
FROM node:20-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    bash scripts/install-deps.sh serve

FROM build AS build-backend
RUN --mount=type=cache,id=rendermart-build,target=/src/build,sharing=locked \
    bash deploy/docker/build-binary.sh rendermart-slim /rendermart

FROM build AS build-worker
RUN --mount=type=cache,id=rendermart-build,target=/src/build,sharing=locked \
    bash deploy/docker/build-binary.sh rendermart /rendermart

# Runtime: Debian 12 with only the shared libraries that rendermart-slim links, as listed in
# runtime-packages.txt (tests/deploy/check_runtime_libs.sh fails when the list misses one), and
# a user. No shell tools beyond the base image, no compiler, no root.
FROM debian:12-slim AS runtime
COPY deploy/docker/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
    && grep -v '^#' /tmp/runtime-packages.txt | xargs apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
    && groupadd --system --gid 10001 rendermart \
    && useradd --system --uid 10001 --gid rendermart --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin rendermart
ENV RENDERMART_BIND=0.0.0.0 \
    RENDERMART_DATA_DIR=/tmp/rendermart
EXPOSE 3300
ENTRYPOINT ["/usr/local/bin/rendermart"]

# rendermart-worker: the runtime plus what the local engine loads (runtime-packages-engine.txt).
FROM runtime AS worker
COPY deploy/docker/runtime-packages-engine.txt /tmp/runtime-packages-engine.txt
RUN apt-get update \
    && grep -v '^#' /tmp/runtime-packages-engine.txt | xargs apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages-engine.txt
COPY --from=build-worker /rendermart /usr/local/bin/rendermart
USER 10001:10001
CMD ["worker"]

# rendermart-backend, last so that a build without --target makes it.
FROM runtime AS backend
COPY --from=build-backend /rendermart /usr/local/bin/rendermart
USER 10001:10001
CMD ["api"]

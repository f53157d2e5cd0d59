# The mf image: the `mf` binary that every bundle's Dockerfile copies (ARG MF_IMAGE), and a
# runnable factory on its own (`docker run IMAGE serve /bundle`, `… worker`, `… webhook`).
#   docker build -t ghcr.io/model-factory/mf:0.1.0 .
# The Swift runtime is linked in statically, so the image needs only the C libraries mf links:
# libgit2, SQLite, zlib and libcurl (Deployment.runtimePackages lists the same for bundles).
FROM swift:6.2-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libgit2-dev libsqlite3-dev zlib1g-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN swift build -c release --static-swift-stdlib --product mf \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/mf" /usr/local/bin/mf

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libgit2-1.5 libsqlite3-0 zlib1g libcurl4 ca-certificates \
        git python3 python3-venv \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --create-home factory
COPY --from=build /usr/local/bin/mf /usr/local/bin/mf
COPY templates /usr/local/share/mf/templates
COPY runtimes /usr/local/share/mf/runtimes
ENV MF_HOME=/home/factory/.mf MF_TEMPLATES=/usr/local/share/mf/templates
USER 10001
ENTRYPOINT ["mf"]
CMD ["--help"]

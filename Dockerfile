# syntax=docker/dockerfile:1
# The ttdn server as a small image: `docker compose up` runs it with PostgreSQL.
#   docker build -t ttdn .
#   docker run -e DATABASE_URL=postgresql://USER:PASSWORD@HOST:5432/ttdn -p 8080:8080 ttdn

# ---- build ----------------------------------------------------------------
FROM swift:6.3-bookworm AS build

RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends libpq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# Dependencies first, so that they stay cached while only the sources change.
COPY Package.* ./
RUN swift package resolve

COPY Sources ./Sources
COPY Tests ./Tests
COPY sql ./sql
COPY templates ./templates
COPY docs ./docs
COPY openapi.yaml ./
RUN swift build -c release --product ttdn --static-swift-stdlib \
    && mkdir -p /staging \
    && cp "$(swift build -c release --show-bin-path)/ttdn" /staging/ \
    && cp -R sql /staging/sql \
    && cp -R templates /staging/templates \
    && cp -R docs /staging/docs \
    && cp openapi.yaml /staging/ \
    && cp /usr/libexec/swift/linux/swift-backtrace-static /staging/

# ---- run ------------------------------------------------------------------
FROM debian:bookworm-slim

RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends libpq5 libcurl4 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin ttdn

WORKDIR /app
# Owned by root: the server can read its files but not change them.
COPY --from=build /staging /app

# Migrations are read from TTDN_SQL_DIR (sql/ relative to the working folder otherwise), document
# templates from TTDN_TEMPLATE_DIR (templates/), the served contract and docs page from
# TTDN_OPENAPI and TTDN_DOCS_DIR. libcurl carries the webhook deliveries (Foundation's URLSession).
# A crash prints a symbolicated backtrace to the log instead of nothing.
ENV TTDN_SQL_DIR=/app/sql \
    TTDN_TEMPLATE_DIR=/app/templates \
    TTDN_OPENAPI=/app/openapi.yaml \
    TTDN_DOCS_DIR=/app/docs \
    SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/app/swift-backtrace-static

USER ttdn:ttdn
EXPOSE 8080
ENTRYPOINT ["/app/ttdn"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]

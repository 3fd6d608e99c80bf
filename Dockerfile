# The Tasks API server as an image: a Maven stage builds the fat jar, a JRE stage runs it as a
# non-root user.
#
#   docker build -t tasks-server .
#   # with an external Postgres (the usual way):
#   docker run -p 10000:10000 -e PGHOST=db.internal -e PGDATABASE=tasks -e PGUSER=tasks \
#     -e PGPASSWORD=... -e TASKS_API_KEYS=acme=sk-... tasks-server
#   # with the embedded Postgres, its data on a volume:
#   docker run -p 10000:10000 -v tasks-data:/app/data tasks-server

# --- build ------------------------------------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build

# Dependencies and plugins first, in their own layer: it is rebuilt only when pom.xml changes.
# resolve + resolve-plugins rather than go-offline: go-offline ignores the pom's dependencyManagement
# and exclusions for zonky's Postgres binaries (it fetches 14.x for four platforms, not the 16.x
# linux-amd64 jar the build uses). The package step below still fetches a few plugin-internal
# artifacts, hence no -o there.
COPY pom.xml .
RUN mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:resolve \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:resolve-plugins

COPY src ./src
COPY conf ./conf
RUN mvn -B -q -DskipTests package

# --- run --------------------------------------------------------------------------------------------
FROM eclipse-temurin:17-jre

# A fixed numeric uid/gid, so that volume ownership and Kubernetes' runAsNonRoot can rely on them.
# Not root: Postgres refuses to run as root, and the embedded one would try `unshare -U`, which
# container runtimes usually forbid.
RUN groupadd --system --gid 10001 tasks \
 && useradd --system --uid 10001 --gid tasks --home-dir /app --no-create-home --shell /usr/sbin/nologin tasks

WORKDIR /app
COPY --from=build /build/target/tasks-server.jar /app/tasks-server.jar
COPY --from=build /build/conf/config.json /app/conf/config.json
# The embedded Postgres keeps its data here; only the app user may write it (Postgres requires a
# data directory owned by the user it runs as). Mount a volume on it to keep the data.
RUN mkdir -p /app/data && chown tasks:tasks /app/data && chmod 700 /app/data

# Configuration: environment variables override /app/conf/config.json (README lists them all).
#   HTTP_HOST, HTTP_PORT       where the REST API listens (0.0.0.0:10000 here)
#   PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD
#                              an external Postgres; with PGHOST unset the node starts an embedded
#                              one (linux-amd64 binaries ship in the jar) with its data in
#                              TASKS_DATA_DIR. PGPASSWORD may be left unset for trust auth.
#   TASKS_DATA_DIR             the embedded Postgres' data directory (/app/data, owned by `tasks`)
#   TASKS_API_KEYS             tenant=key pairs, comma-separated; unset = open API, one tenant
#   TASKS_CLUSTER, TASKS_CLUSTER_HOST, TASKS_CLUSTER_PORT, TASKS_CLUSTER_MEMBERS
#                              Vert.x cluster (Hazelcast); set TASKS_CLUSTER_HOST to the container's
#                              own address, reachable by the other members
#   TASKS_CONFIG               another config file (default conf/config.json, relative to /app)
#   JAVA_TOOL_OPTIONS          JVM options, e.g. -XX:MaxRAMPercentage=75 (the JVM reads it itself)
#   TASKS_FILE_MAX_BYTES       largest upload (default 64 MiB). file_processing copies each file it
#                              parses to java.io.tmpdir (/tmp) and deletes it after: give /tmp room
#                              for two such files (mount a tmpfs or volume on a read-only root fs)
# DJL_CACHE_DIR: where the embedding model's tokenizer unpacks its native library at first use (the
# app user's home is not writable); ONNX Runtime unpacks its own under /tmp (java.io.tmpdir).
ENV HTTP_HOST=0.0.0.0 \
    HTTP_PORT=10000 \
    TASKS_DATA_DIR=/app/data \
    DJL_CACHE_DIR=/tmp/djl.ai

USER 10001:10001
EXPOSE 10000

# The image has bash but no guaranteed HTTP client (eclipse-temurin keeps curl in its 17 images
# only "for historical reasons" and has dropped it from newer ones), so the check speaks HTTP
# itself over bash's /dev/tcp. It asks /health (liveness); orchestrators should use /ready, which
# also checks the database, as their readiness probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${HTTP_PORT:-10000} && printf 'GET /health HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

# File limit: every HTTP connection holds a descriptor and TASKS_HTTP_MAX_CONNECTIONS is 20,000 by
# default, so run with a hard limit above it: `docker run --ulimit nofile=65536:65536 ...` (an image
# cannot raise the hard limit itself). The entrypoint raises the soft limit to TASKS_NOFILE, or to
# the hard limit when unset, and says so on stderr when it cannot; the node also warns at start-up
# when the limit is below TASKS_HTTP_MAX_CONNECTIONS.
# The vector search's SIMD kernel needs the incubating Vector API module (README "Storage and
# search"): added when this runtime has it (java prints "WARNING: Using incubator modules" at
# start), else the node runs the scalar scan and logs so; a JRE without the module would refuse a
# plain --add-modules.
# bash then execs java: java is PID 1 and gets SIGTERM from `docker stop`, so its shutdown hook hands
# back running tasks and stops the embedded Postgres cleanly (give it time: docker stop -t 30).
ENTRYPOINT ["bash", "-c", "ulimit -n \"${TASKS_NOFILE:-$(ulimit -Hn)}\" 2>/dev/null || echo \"tasks-server: cannot set the file limit to ${TASKS_NOFILE:-the hard limit}; it stays $(ulimit -n)\" >&2; exec java $(java --list-modules | grep -q '^jdk.incubator.vector@' && echo --add-modules=jdk.incubator.vector) -jar /app/tasks-server.jar \"$@\"", "tasks-server"]

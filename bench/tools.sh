# bench/tools.sh: what the bench scripts share. Sourced: `source "$BENCH/tools.sh"`.
#   log MESSAGE...          a timestamped line on stderr
#   die MESSAGE...          logs "FAILED: MESSAGE" and exits 1
#   need_apt COMMAND PKG    installs Debian package PKG (sudo unless root) when COMMAND is missing, or dies
#   private_postgres        a Postgres with stock settings (autovacuum on) for this run; stop_private_postgres
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
need_apt() {
  command -v "$1" >/dev/null && return 0
  local sudo=""; [[ "$(id -u)" == 0 ]] || sudo="sudo"
  log "$1 is missing: installing Debian package $2"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$2" >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$2" >/dev/null; } \
    || die "could not install $2"
  command -v "$1" >/dev/null || die "$2 is installed but $1 is still not on PATH"
}
# private_postgres: starts a Postgres of this machine's version (/usr/lib/postgresql/*/bin) with stock
# settings in a new directory $PRIVATE_PG (as user postgres when run as root: initdb refuses root) on
# a free loopback port, and exports PGHOST, PGPORT and PGUSER for it. The shared Postgres of these
# machines runs with autovacuum off; this one runs as a deployment's would. $PRIVATE_PG_OPTS adds
# server options ("-c name=value ..."). stop_private_postgres stops it and removes its directory
# (call it from the EXIT trap).
private_postgres() {
  local bin port as=()
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [[ -x "$bin/initdb" ]] || die "no Postgres server binaries under /usr/lib/postgresql (Debian package postgresql)"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  PRIVATE_PG=$(mktemp -d /tmp/bench-pg.XXXX)
  chmod 755 "$PRIVATE_PG"
  if [[ "$(id -u)" == 0 ]]; then chown postgres "$PRIVATE_PG"; as=(runuser -u postgres --); fi
  "${as[@]}" "$bin/initdb" -D "$PRIVATE_PG/data" -U postgres --auth=trust -E UTF8 >"$PRIVATE_PG/initdb.log" 2>&1 \
    || die "initdb failed; see $PRIVATE_PG/initdb.log"
  "${as[@]}" "$bin/pg_ctl" -D "$PRIVATE_PG/data" -l "$PRIVATE_PG/postgres.log" -w \
    -o "-p $port -k $PRIVATE_PG -c listen_addresses=127.0.0.1 ${PRIVATE_PG_OPTS:-}" start >/dev/null \
    || die "Postgres did not start; see $PRIVATE_PG/postgres.log"
  export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
  log "private Postgres ($("$bin/postgres" --version)) on port $port, stock settings (autovacuum $(psql -qtAc 'SHOW autovacuum' -d postgres))"
}
stop_private_postgres() {
  [[ -n "${PRIVATE_PG:-}" && -d "$PRIVATE_PG" ]] || return 0
  local bin as=()
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [[ "$(id -u)" == 0 ]] && as=(runuser -u postgres --)
  "${as[@]}" "$bin/pg_ctl" -D "$PRIVATE_PG/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PRIVATE_PG"
}

# bench/tools.sh: what the bench scripts share. Sourced: `source "$BENCH/tools.sh"`.
#   log MESSAGE...          a timestamped line on stderr
#   die MESSAGE...          logs "FAILED: MESSAGE" and exits 1
#   need_apt COMMAND PKG    installs Debian package PKG (sudo unless root) when COMMAND is missing, or dies
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

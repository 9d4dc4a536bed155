#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests and CI (issue 10):
#   .ci/pg-cluster.sh start DIR   initdb into DIR (made if missing), start it
#                                 listening on a unix socket in DIR only (no
#                                 TCP), and print the URL for
#                                 SLOTDAV_TEST_DATABASE_URL / [storage] url
#   .ci/pg-cluster.sh stop DIR    stop it (fast shutdown)
#   .ci/pg-cluster.sh url DIR     print the URL again
# Run as root, the server runs as the unprivileged `postgres` user (the
# Debian package makes it); otherwise as the caller. The programs are
# SLOTDAV_PG_BIN, else the newest /usr/lib/postgresql/*/bin.
set -euo pipefail
cmd=${1:-}; dir=${2:-}
[[ -n $cmd && -n $dir ]] || { echo "usage: $0 start|stop|url DIR" >&2; exit 2; }
PG_BIN=${SLOTDAV_PG_BIN:-$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)")}
[[ -x $PG_BIN/initdb ]] || { echo "no PostgreSQL programs (install postgresql or set SLOTDAV_PG_BIN)" >&2; exit 1; }
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
url() { echo "postgres:///postgres?host=$dir&user=slotdav"; }
case $cmd in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
    if [[ ! -f $dir/data/PG_VERSION ]]; then
      as_pg "$PG_BIN/initdb" -D "$dir/data" -A trust -U slotdav -E UTF8 --no-instructions >/dev/null
    fi
    # Many tests each open a small pool: room for them.
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
      -o "-c listen_addresses='' -k $dir -c max_connections=400 -c shared_buffers=64MB" start >/dev/null
    url ;;
  stop)
    dir=$(cd "$dir" && pwd)
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ;;
  url)
    dir=$(cd "$dir" && pwd); url ;;
  *) echo "usage: $0 start|stop|url DIR" >&2; exit 2 ;;
esac

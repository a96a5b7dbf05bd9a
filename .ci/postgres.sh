#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on 127.0.0.1 for the test suite, and print its URL.
# Usage: eval "$(.ci/postgres.sh start)"   ...   .ci/postgres.sh stop
# Needs root (installs Debian's postgresql if missing, runs the server as the postgres user).
set -euo pipefail
PORT="${PORTAL_PG_PORT:-54329}"
DATA="${PORTAL_PG_DATA:-/tmp/portal-pg}"

case "${1:-start}" in
start)
  if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  rm -rf "$DATA"
  mkdir -p "$DATA"
  chown postgres:postgres "$DATA"
  su postgres -s /bin/sh -c "'$BIN/initdb' -D '$DATA/db' -A trust -U postgres -E UTF8 >/dev/null"
  su postgres -s /bin/sh -c "'$BIN/pg_ctl' -D '$DATA/db' -l '$DATA/server.log' -w \
      -o \"-c listen_addresses=127.0.0.1 -p $PORT -k '$DATA' -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start >/dev/null"
  psql -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE DATABASE portal_test" >/dev/null
  echo "export TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/portal_test"
  ;;
stop)
  BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  su postgres -s /bin/sh -c "'$BIN/pg_ctl' -D '$DATA/db' -m fast -w stop >/dev/null" || true
  rm -rf "$DATA"
  ;;
esac

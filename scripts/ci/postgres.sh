#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store tests. Source this file, then:
#   url="$(start_postgres 55432)"   # postgresql://plait:plait@127.0.0.1:55432/plait
#   trap 'stop_postgres 55432' EXIT
# Call it as root (CI is): the server itself refuses to run as root, so it runs as the
# `postgres` user through `runuser`. Installs Debian's `postgresql` only when no initdb is found. The data directory
# lives under /tmp (postgres cannot traverse /root); its location is kept in
# /tmp/start_postgres-PORT.env because `url="$(start_postgres)"` runs in a subshell.

start_postgres() {
  local port="${1:-55432}" db="${PG_DB:-plait}" user="${PG_USER:-plait}" pass="${PG_PASSWORD:-plait}"
  local bin base
  # A server left by an earlier, killed run on this port: stop it (or forget it) first.
  if [ -f "/tmp/start_postgres-$port.env" ]; then
    stop_postgres "$port" || rm -f "/tmp/start_postgres-$port.env"
  fi
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
  if [ ! -x "$bin/initdb" ]; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 || return 1
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  fi
  id -u postgres >/dev/null 2>&1 ||
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/sh postgres
  base="$(mktemp -d "/tmp/pg-$port.XXXXXX")" || return 1
  chown postgres:postgres "$base"
  # pg_ctl gets -l: without a log file the server keeps $(...)'s pipe open and start hangs.
  ( cd "$base" || exit 1
    runuser -u postgres -- "$bin/initdb" -D "$base/data" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >"$base/initdb.log" 2>&1 &&
    runuser -u postgres -- "$bin/pg_ctl" -D "$base/data" -l "$base/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$base" start >&2 &&
    runuser -u postgres -- "$bin/psql" -h "$base" -p "$port" -U postgres -d postgres -qX \
        -v ON_ERROR_STOP=1 -v u="$user" -v p="$pass" -v d="$db" >&2 <<'SQL'
CREATE ROLE :"u" LOGIN PASSWORD :'p';
CREATE DATABASE :"d" OWNER :"u";
SQL
  ) || {
    echo "start_postgres failed:" >&2
    cat "$base"/*.log >&2
    ( cd "$base" && runuser -u postgres -- "$bin/pg_ctl" -D "$base/data" -m immediate -w stop ) \
      >/dev/null 2>&1
    rm -rf "$base"
    return 1
  }
  printf 'PG_BIN=%q\nPG_BASE=%q\n' "$bin" "$base" >"/tmp/start_postgres-$port.env"
  echo "postgresql://$user:$pass@127.0.0.1:$port/$db"
}

stop_postgres() {
  local port="${1:-55432}" PG_BIN PG_BASE
  [ -f "/tmp/start_postgres-$port.env" ] || return 0
  . "/tmp/start_postgres-$port.env" || return 1
  ( cd "$PG_BASE" && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_BASE/data" -m fast -w stop >&2 )
  rm -rf "$PG_BASE" "/tmp/start_postgres-$port.env"
}

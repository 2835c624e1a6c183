#!/usr/bin/env bash
# A throwaway Redis server for the store tests, durable as the README recommends (AOF on,
# fsync before each reply). Source this file, then:
#   url="$(start_redis 56379)"   # redis://127.0.0.1:56379/0
#   trap 'stop_redis 56379' EXIT
# Installs Debian's `redis-server` when missing (as root, as CI runs). The server listens on
# 127.0.0.1 only, daemonized, without the stock config (it wants /run/redis); its directory
# lives under /tmp, kept in /tmp/start_redis-PORT.env because `url="$(start_redis)"` runs in
# a subshell.

start_redis() {
  local port="${1:-56379}" base
  # A server left by an earlier, killed run on this port: stop it (or forget it) first.
  if [ -f "/tmp/start_redis-$port.env" ]; then
    stop_redis "$port" || rm -f "/tmp/start_redis-$port.env"
  fi
  if ! command -v redis-server >/dev/null; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2 || return 1
  fi
  base="$(mktemp -d "/tmp/redis-$port.XXXXXX")" || return 1
  redis-server --port "$port" --bind 127.0.0.1 --protected-mode yes --daemonize yes \
    --dir "$base" --pidfile "$base/redis.pid" --logfile "$base/redis.log" \
    --save '' --appendonly yes --appendfsync always >&2 || { rm -rf "$base"; return 1; }
  local tries=0
  until [ "$(redis-cli -p "$port" ping 2>/dev/null)" = "PONG" ]; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ]; then
      echo "start_redis failed:" >&2
      cat "$base/redis.log" >&2
      [ -f "$base/redis.pid" ] && kill "$(cat "$base/redis.pid")" 2>/dev/null
      rm -rf "$base"
      return 1
    fi
    sleep 0.05
  done
  printf 'REDIS_BASE=%q\n' "$base" >"/tmp/start_redis-$port.env"
  echo "redis://127.0.0.1:$port/0"
}

stop_redis() {
  local port="${1:-56379}" REDIS_BASE
  [ -f "/tmp/start_redis-$port.env" ] || return 0
  . "/tmp/start_redis-$port.env" || return 1
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 ||
    { [ -f "$REDIS_BASE/redis.pid" ] && kill "$(cat "$REDIS_BASE/redis.pid")" 2>/dev/null; }
  rm -rf "$REDIS_BASE" "/tmp/start_redis-$port.env"
}

#!/usr/bin/env bash
# The farm's shared store, started and stopped by t/farm/run.sh and, for
# the outage tests, by the tests themselves:
#
#   t/farm/store.sh start redis|memcache PORT DIR
#       starts redis-server or memcached on 127.0.0.1:PORT in the
#       background (its own session, output in DIR/KIND.out), writes its
#       pid to DIR/KIND.pid and waits (at most 5 s) until it answers.
#       Nothing is kept on disk: a restart starts empty.
#   t/farm/store.sh stop redis|memcache DIR
#       SIGCONT (a paused store cannot act on SIGTERM), SIGTERM, and
#       SIGKILL after 5 s, by the pid in DIR/KIND.pid.
#
# Exits non-zero, with the reason, when the store does not answer or
# does not stop.
set -euo pipefail

usage() { echo "usage: $0 start redis|memcache PORT DIR | stop redis|memcache DIR" >&2; exit 2; }
[ $# -ge 3 ] || usage
action=$1 kind=$2
case $kind in redis|memcache) ;; *) usage ;; esac

# answers PORT: the store answers a request of its protocol on the port.
answers() {
    local line=
    { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
    if [ "$kind" = redis ]; then printf 'PING\r\n' >&3; else printf 'version\r\n' >&3; fi
    read -r -t 1 line <&3 || true
    exec 3<&- 3>&-
    case $kind:$line in
    redis:+PONG*|memcache:VERSION*) return 0 ;;
    *) return 1 ;;
    esac
}

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

case $action in
start)
    [ $# = 4 ] || usage
    port=$3 dir=$4
    out=$dir/$kind.out
    if [ "$kind" = redis ]; then
        # redis-server runs as root without complaint; nothing is saved.
        setsid redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
            --daemonize no --dir "$dir" </dev/null >>"$out" 2>&1 &
    else
        # memcached refuses root unless told whom to become.
        setsid memcached -l 127.0.0.1 -p "$port" -U 0 -u nobody -m 64 \
            </dev/null >>"$out" 2>&1 &
    fi
    pid=$!
    echo "$pid" >"$dir/$kind.pid"
    for _ in $(seq 50); do
        answers "$port" && exit 0
        alive "$pid" || { tail -n 5 "$out" >&2; echo "$kind exited at start" >&2; exit 1; }
        sleep 0.1
    done
    echo "$kind did not answer on 127.0.0.1:$port within 5 s" >&2
    exit 1
    ;;
stop)
    dir=$3
    pid=$(cat "$dir/$kind.pid" 2>/dev/null || true)
    alive "$pid" || exit 0
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do alive "$pid" || exit 0; sleep 0.1; done
    echo "$kind (pid $pid) did not stop within 5 s: killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    exit 1
    ;;
*) usage ;;
esac

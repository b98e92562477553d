#!/usr/bin/env bash
# Tiny process supervisor used by test/e2e/cluster.ts, so that no control-plane process outlives
# the test run, even when the test runner is killed with SIGKILL.
#
#   supervise.sh run CMD [ARGS...]   start CMD as a child and stop it (SIGTERM, then SIGKILL after
#                                    5 s) when this script gets SIGTERM/SIGINT/SIGHUP, or when its
#                                    stdin reaches end-of-file. The harness keeps the write end of
#                                    that pipe open and never writes to it: when the harness dies,
#                                    for whatever reason, the kernel closes it and we see EOF.
#                                    The child also gets PR_SET_PDEATHSIG=SIGKILL (setpriv), so it
#                                    dies if this supervisor itself is killed with SIGKILL.
#   supervise.sh janitor DIR         wait for EOF on stdin (or a signal), then wait for the
#                                    processes listed in DIR/pids to exit and remove DIR.
set -u

mode=${1:-}
shift || true

wait_for_eof() {
  # read returns >128 on timeout, 1 (<=128) at end-of-file.
  local rc
  while true; do
    rc=0
    read -r -t 1 _ || rc=$?
    if ((rc == 0)); then continue; fi
    if ((rc <= 128)); then return 0; fi
    if [[ -n ${child:-} ]] && ! kill -0 "$child" 2>/dev/null; then return 1; fi
  done
}

case $mode in
  run)
    if command -v setpriv >/dev/null 2>&1; then
      setpriv --pdeathsig KILL -- "$@" </dev/null &
    else
      "$@" </dev/null &
    fi
    child=$!
    stop() {
      trap '' TERM INT HUP
      kill -TERM "$child" 2>/dev/null
      for _ in $(seq 1 50); do
        kill -0 "$child" 2>/dev/null || break
        sleep 0.1
      done
      kill -KILL "$child" 2>/dev/null
      wait "$child" 2>/dev/null
      exit 143
    }
    trap stop TERM INT HUP
    if wait_for_eof; then stop; fi
    wait "$child"
    exit $?
    ;;
  janitor)
    dir=${1:?janitor needs a directory}
    finish() {
      trap '' TERM INT HUP
      if [[ -f $dir/pids ]]; then
        for _ in $(seq 1 150); do
          alive=0
          while read -r pid; do
            [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && alive=1
          done <"$dir/pids"
          ((alive == 0)) && break
          sleep 0.1
        done
      fi
      rm -rf -- "$dir"
      exit 0
    }
    trap finish TERM INT HUP
    wait_for_eof
    finish
    ;;
  *)
    echo "usage: supervise.sh run CMD [ARGS...] | supervise.sh janitor DIR" >&2
    exit 2
    ;;
esac

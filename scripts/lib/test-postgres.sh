# Starts a throwaway PostgreSQL server for the test suite: initdb into a temporary directory,
# pg_ctl start on a free loopback port with password (SCRAM) authentication, removed again when
# the calling script exits. Source it after jobrunner_setup installed `postgresql`; it exports
#   JOBRUNNER_TEST_POSTGRES_URL   postgres://… of a superuser on that server
#   JOBRUNNER_TEST_POSTGRES_CTL   a pg_ctl wrapper for that server (the restart test uses it)
# JOBRUNNER_TEST_POSTGRES_SHARED_BUFFERS sets the server's shared_buffers (64MB; bench/run: 1GB).

jobrunner_start_test_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    jobrunner_log "PostgreSQL's initdb was not found under /usr/lib/postgresql (package postgresql)"
    return 1
  fi
  local dir port password run_as=()
  dir=$(mktemp -d "${TMPDIR:-/tmp}/jobrunner-test-pg.XXXXXX")
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  password="jobrunner-test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  # initdb and the server refuse to run as root: as root they run as the postgres user.
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$dir"
    # setpriv execs in place (runuser forks and waits, which hangs when a caller blocked SIGCHLD).
    run_as=(setpriv --reuid=postgres --regid=postgres --clear-groups)
  fi
  printf '%s\n' "$password" > "$dir/password"
  [ ${#run_as[@]} -gt 0 ] && chown postgres "$dir/password"
  "${run_as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=scram-sha-256 --pwfile="$dir/password" \
    -E UTF8 --no-instructions > "$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  cat > "$dir/pg_ctl" <<CTL
#!/usr/bin/env bash
# The server logs to a file, never to the caller's output (a test reading it would wait forever).
case "\${1:-}" in start|restart) set -- "\$@" -l "$dir/server.log" ;; esac
# A test process may run it with signals blocked or ignored (Swift's runtime does): reset them,
# or pg_ctl's wait for the server never ends.
exec python3 -c 'import os, signal, sys
signal.pthread_sigmask(signal.SIG_SETMASK, [])
for number in (signal.SIGCHLD, signal.SIGPIPE, signal.SIGINT, signal.SIGTERM):
    signal.signal(number, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' ${run_as[*]} "$bin/pg_ctl" -D "$dir/data" "\$@"
CTL
  chmod +x "$dir/pg_ctl"
  "$dir/pg_ctl" start -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=400 -c shared_buffers=${JOBRUNNER_TEST_POSTGRES_SHARED_BUFFERS:-64MB}" >/dev/null \
    || { cat "$dir/server.log" >&2; return 1; }
  JOBRUNNER_TEST_POSTGRES_DIR="$dir"
  JOBRUNNER_TEST_POSTGRES_DIRS="${JOBRUNNER_TEST_POSTGRES_DIRS:-} $dir"
  export JOBRUNNER_TEST_POSTGRES_URL="postgres://postgres:$password@127.0.0.1:$port/postgres?sslmode=disable"
  export JOBRUNNER_TEST_POSTGRES_CTL="$dir/pg_ctl"
  trap jobrunner_stop_test_postgres EXIT
  jobrunner_log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') for the tests on 127.0.0.1:$port"
}

jobrunner_stop_test_postgres() {
  local dir
  for dir in ${JOBRUNNER_TEST_POSTGRES_DIRS:-}; do
    "$dir/pg_ctl" stop -m immediate >/dev/null 2>&1 || true
    rm -rf "$dir"
  done
}

# A second server for the one test that restarts its database (so the restart cuts no other
# test's connections), exported as JOBRUNNER_TEST_POSTGRES_RESTART_URL and _CTL. Started by the
# test command rather than by the test: a test blocking on a child process stalls Swift's
# cooperative thread pool.
jobrunner_start_restart_test_postgres() {
  local shared_url="${JOBRUNNER_TEST_POSTGRES_URL:-}" shared_ctl="${JOBRUNNER_TEST_POSTGRES_CTL:-}"
  jobrunner_start_test_postgres || return 1
  export JOBRUNNER_TEST_POSTGRES_RESTART_URL="$JOBRUNNER_TEST_POSTGRES_URL"
  export JOBRUNNER_TEST_POSTGRES_RESTART_CTL="$JOBRUNNER_TEST_POSTGRES_CTL"
  export JOBRUNNER_TEST_POSTGRES_URL="$shared_url" JOBRUNNER_TEST_POSTGRES_CTL="$shared_ctl"
}

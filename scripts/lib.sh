# Shared by the benchmark and load scripts (sourced, not run): a work
# directory removed at exit, and a tuiles server started on 127.0.0.1 and
# stopped at exit.
#
#   source scripts/lib.sh
#   start_tuiles PORT [serve arguments…]   # sets server_pid; logs in $work/server.log
#   stop_tuiles

work=$(mktemp -d)
server_pid=""

stop_tuiles() {
	if [ -n "$server_pid" ] && kill -INT "$server_pid" 2>/dev/null; then
		wait "$server_pid" 2>/dev/null || true
	fi
	server_pid=""
}

cleanup() {
	stop_tuiles
	rm -rf "$work"
}
trap cleanup EXIT

# start_tuiles PORT [ARGS…] serves with bin/tuiles (or $bin) on
# 127.0.0.1:PORT and waits until /healthz answers; on failure it prints the
# server's log and exits.
start_tuiles() {
	local port=$1
	shift
	"${bin:-bin/tuiles}" serve --listen "127.0.0.1:$port" --log-level warn "$@" >"$work/server.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 1 600); do
		curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$work/server.log" >&2
	exit 1
}

#!/usr/bin/env bash
# Mixed load test of a local tuiles (make loadtest).
#
# Seeds the demo's rendered départements tiles (zoom 0 to 9, Web Mercator)
# so that tile requests hit the cache, serves the bundled demo on
# 127.0.0.1, and drives it with internal/tools/loadgen: 60 % cached tiles,
# 25 % WMS GetMap (256 px, départements and countries over France), 15 %
# WFS GetFeature (20 départements in a bounding box, GeoJSON), from
# LOADTEST_CONNECTIONS concurrent connections (default 200) for
# LOADTEST_SECONDS (default 60). Prints a markdown table (p50/p90/p99 per
# kind) and the server's peak RSS; fails on any 5xx or transport error.
#
#   LOADTEST_SECONDS=60 LOADTEST_CONNECTIONS=200 make loadtest
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${LOADTEST_SECONDS:-60}
conns=${LOADTEST_CONNECTIONS:-200}
port=${LOADTEST_PORT:-18190}
bin=bin/tuiles
go build -o "$bin" ./cmd/tuiles
go build -o bin/loadgen ./internal/tools/loadgen

source scripts/lib.sh

# The demo's feature store is imported on the first serve; serve once to
# make sure it exists before seeding.
start_tuiles "$port"
stop_tuiles

echo "seeding départements, zoom 0 to 9 (Web Mercator)…"
"$bin" seed --config testdata/demo/tuiles.yaml --layer departements --tms WebMercatorQuad --zoom 0-9 --log-level warn

start_tuiles "$port"

echo "load: $conns connections for $seconds s against 127.0.0.1:$port ($(nproc) cores)"
status=0
bin/loadgen -base "http://127.0.0.1:$port" -conns "$conns" -duration "${seconds}s" -pid "$server_pid" || status=$?
if grep -q '"level":"ERROR"\|level=ERROR' "$work/server.log"; then
	echo "server errors during the run:" >&2
	grep '"level":"ERROR"\|level=ERROR' "$work/server.log" | head -5 >&2
	status=1
fi
exit $status

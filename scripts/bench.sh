#!/usr/bin/env bash
# Load test of cached tiles against a local tuiles (make bench).
#
# Starts bin/tuiles on 127.0.0.1 with the demo config, then drives it with wrk
# for a bounded time over a fixed list of cached tiles (XYZ, TMS and WMTS REST
# URLs), and prints throughput and latency percentiles. Then runs the Go
# micro-benchmarks of the tile path. Nothing leaves the machine.
#
#   BENCH_SECONDS=20 BENCH_CONNECTIONS=64 BENCH_THREADS=2 make bench
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${BENCH_SECONDS:-15}
connections=${BENCH_CONNECTIONS:-64}
threads=${BENCH_THREADS:-2}
port=${BENCH_PORT:-18181}
bin=bin/tuiles
[ -x "$bin" ] || go build -o "$bin" ./cmd/tuiles
command -v wrk >/dev/null || { echo "wrk is missing: run scripts/install-deps.sh" >&2; exit 1; }

source scripts/lib.sh

start_tuiles "$port"

# Every stored tile of the France layer at Web Mercator zoom 8 and LAMB93
# level 8, through the three tile protocols.
{
	for x in $(seq 124 134); do for y in $(seq 85 95); do
		echo "/tiles/france/WebMercatorQuad/8/$x/$y.png"
		echo "/tms/1.0.0/france/WebMercatorQuad/8/$x/$((255 - y)).png"
	done; done
	for c in $(seq 0 11); do for r in $(seq 46 56); do
		echo "/wmts/1.0.0/france/default/LAMB93/8/$r/$c.png"
	done; done
} >"$work/paths.txt"

cat >"$work/tiles.lua" <<LUA
local paths = {}
for line in io.lines("$work/paths.txt") do paths[#paths + 1] = line end
local i = 0
request = function()
	i = i % #paths + 1
	return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
	io.write(string.format("requests %d in %.1f s: %.0f req/s, %.1f MB/s, errors %d\n",
		summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
		summary.bytes / (summary.duration / 1e6) / 1e6,
		summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
	for _, p in ipairs({50, 90, 99, 99.9}) do
		io.write(string.format("latency p%s %.2f ms\n", p, latency:percentile(p) / 1000))
	end
end
LUA

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "== wrk: $threads threads, $connections connections, ${seconds}s, $(wc -l <"$work/paths.txt") distinct cached tiles"
wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s "$work/tiles.lua" "http://127.0.0.1:$port" | sed -n '/requests .* in /,$p'

echo "== Go benchmarks (tile path without the network)"
go test -run '^$' -bench 'BenchmarkTile$|BenchmarkGetTileREST|BenchmarkXYZTile' -benchtime 2s -benchmem ./tiling/mbtiles/ ./ogc/wmts/ ./ogc/xyz/ | grep -E '^(Benchmark|ok|PASS)' || true

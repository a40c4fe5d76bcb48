#!/usr/bin/env bash
# Load test of the WFS against a local tuiles (part of make bench).
#
# Imports 100 000 generated points with `tuiles import`, serves them on
# 127.0.0.1, then measures: a whole-layer GetFeature in GeoJSON and in GML
# (features/s, and the server's peak resident memory before and after, to
# show the response streams), and small BBOX queries under wrk (requests/s
# and latency percentiles). Bounded in time; nothing leaves the machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${BENCH_SECONDS:-15}
connections=${BENCH_CONNECTIONS:-16}
port=${BENCH_WFS_PORT:-18182}
n=${BENCH_FEATURES:-100000}
bin=bin/tuiles
[ -x "$bin" ] || go build -o "$bin" ./cmd/tuiles

source scripts/lib.sh

# Points on a regular grid over France in Lambert-93, with two attributes.
awk -v n="$n" 'BEGIN {
	print "id,name,value,lon,lat";
	side = int(sqrt(n)) + 1;
	for (i = 0; i < n; i++) {
		x = i % side; y = int(i / side);
		printf "%d,point %d,%.3f,%.6f,%.6f\n", i + 1, i + 1, i * 0.5, -4.5 + 12.5 * x / side, 42.5 + 8.5 * y / side;
	}
}' >"$work/points.csv"
start=$(date +%s.%N)
"$bin" import "$work/points.csv" --layer points --into "$work/store.gpkg" --source-srs EPSG:4326 --srs EPSG:2154 >/dev/null
echo "== import: $n points from CSV in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"

cat >"$work/tuiles.yaml" <<YAML
store: store.gpkg
wfs: {max_features: 1000000, timeout: 120s}
layers:
  - name: points
    data: {table: points}
YAML
start_tuiles "$port" --config "$work/tuiles.yaml"
hwm() { awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$server_pid/status"; }
base="http://127.0.0.1:$port/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=tuiles:points"
echo "== server peak RSS after start: $(hwm)"
for fmt in "application/json" "application/gml%2Bxml%3B%20version%3D3.2"; do
	read -r code size secs < <(curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' "$base&OUTPUTFORMAT=$fmt")
	echo "== whole layer, $fmt: HTTP $code, $(awk -v s="$size" 'BEGIN {printf "%.1f", s / 1048576}') MiB in ${secs} s, $(awk -v n="$n" -v t="$secs" 'BEGIN {printf "%.0f", n / t}') features/s; server peak RSS now $(hwm)"
done

cat >"$work/bbox.lua" <<'LUA'
math.randomseed(42)
request = function()
	local x = 150000 + math.random() * 1000000
	local y = 6150000 + math.random() * 900000
	return wrk.format("GET", string.format("/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=tuiles:points&OUTPUTFORMAT=application/json&BBOX=%d,%d,%d,%d,urn:ogc:def:crs:EPSG::2154", x, y, x + 20000, y + 20000))
end
done = function(summary, latency, requests)
	io.write(string.format("requests %d in %.1f s: %.0f req/s, errors %d\n",
		summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
		summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
	for _, p in ipairs({50, 90, 99}) do
		io.write(string.format("latency p%s %.2f ms\n", p, latency:percentile(p) / 1000))
	end
end
LUA
echo "== wrk: 20 km BBOX queries (about 30 points each), $connections connections, ${seconds}s"
wrk -t2 -c"$connections" -d"${seconds}s" -s "$work/bbox.lua" "http://127.0.0.1:$port" | sed -n '/requests .* in /,$p'

echo "== Go benchmarks (encoders over an in-memory source; store streaming)"
go test -run '^$' -bench 'BenchmarkGetFeature' -benchtime 2x -benchmem ./ogc/wfs/ | grep -E '^Benchmark' || true
go test -run '^$' -bench 'BenchmarkFeaturesAll|BenchmarkBBoxQuery' -benchtime 3x -benchmem ./store/ | grep -E '^Benchmark' || true

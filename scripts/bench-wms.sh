#!/usr/bin/env bash
# Load test of WMS GetMap against a local tuiles (part of make bench).
#
# Serves the bundled demo on 127.0.0.1 (its store is imported on the first
# run) and drives GetMap with wrk for 256×256 and 1024×1024 PNG maps, at 1× and
# 2× the core count of concurrent connections, for:
#   countries     default style (labels once its SLD has them), EPSG:3857
#   departements  styles/departements.sld (labels below 1:5M), EPSG:2154
#   world-raster  GeoTIFF warped on the fly, EPSG:3857
#   dem           same, when the demo configuration has that layer
# Every request takes the next of 48 deterministic square bboxes inside the
# layer's extent (sides of 1/1 to 1/8 of it), so nothing is answered twice in
# a row; tuiles has no response cache anyway. Prints a markdown table with
# requests/s, p50, p99 and the server's peak resident memory (VmHWM) so far.
#
# Each wrk run lasts BENCH_WMS_SECONDS (default BENCH_SECONDS/3, at least 3 s):
# 12 to 16 runs, under 2 minutes with the default BENCH_SECONDS=15.
#
#   BENCH_SECONDS=15 bash scripts/bench-wms.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${BENCH_SECONDS:-15}
run_seconds=${BENCH_WMS_SECONDS:-$((seconds / 3 > 3 ? seconds / 3 : 3))}
port=${BENCH_WMS_PORT:-18183}
cores=$(nproc)
bin=bin/tuiles
go build -o "$bin" ./cmd/tuiles
command -v wrk >/dev/null || { echo "wrk is missing: run scripts/install-deps.sh" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is missing: run scripts/install-deps.sh" >&2; exit 1; }

source scripts/lib.sh

# No --config: the bundled demo (testdata/demo/tuiles.yaml), whose feature
# store is imported from testdata/vector/sources.gpkg on the first run.
start_tuiles "$port"
hwm() { awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$server_pid/status"; }

curl -fsS "http://127.0.0.1:$port/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities" >"$work/caps.xml"

# bboxes LAYER CRS: 48 square windows inside the layer's BoundingBox in CRS
# (from the capabilities), one "minx,miny,maxx,maxy" per line. Sides cycle
# through 1, 1/2, 1/4 and 1/8 of the extent's shorter side; the positions
# follow two golden-ratio sequences. In Web Mercator, windows stay within
# ±85° and ±135°: the features read for a view extend 32 px beyond it, and
# for a store layer in EPSG:4326 a view whose margin crosses ±180° on one side
# fails (HTTP 500, "invalid filter: bounding box" with minx > maxx).
bboxes() {
	python3 - "$work/caps.xml" "$1" "$2" <<'PY'
import sys
import xml.etree.ElementTree as ET

caps, name, crs = sys.argv[1:]
ns = "{http://www.opengis.net/wms}"
for layer in ET.parse(caps).getroot().iter(ns + "Layer"):
    n = layer.find(ns + "Name")
    if n is None or n.text != name:
        continue
    for b in layer.findall(ns + "BoundingBox"):
        if b.get("CRS") == crs:
            x0, y0, x1, y1 = (float(b.get(k)) for k in ("minx", "miny", "maxx", "maxy"))
            break
    else:
        sys.exit(f"layer {name} has no BoundingBox in {crs}")
    break
else:
    sys.exit(f"layer {name} is not in the capabilities")
if crs == "EPSG:3857":
    x0, x1 = max(x0, -15e6), min(x1, 15e6)
    y0, y1 = max(y0, -20037508.34), min(y1, 20037508.34)
side = min(x1 - x0, y1 - y0)
for k in range(48):
    s = side / (1, 2, 4, 8)[k % 4]
    u, v = (k * 0.6180339887) % 1, (k * 0.7548776662) % 1
    mx, my = x0 + u * (x1 - x0 - s), y0 + v * (y1 - y0 - s)
    print(f"{mx:.1f},{my:.1f},{mx + s:.1f},{my + s:.1f}")
PY
}

cat >"$work/getmap.lua" <<'LUA'
-- Cycles through the bboxes in BBOXES, each wrk thread from its own offset.
local bboxes = {}
for line in io.lines(os.getenv("BBOXES")) do bboxes[#bboxes + 1] = line end
local base = os.getenv("BASE")
local counter = 0
setup = function(thread)
	thread:set("offset", counter * 17)
	counter = counter + 1
end
local i
request = function()
	i = ((i or offset or 0) % #bboxes) + 1
	return wrk.format("GET", base .. "&BBOX=" .. bboxes[i])
end
done = function(summary, latency, requests)
	local s = summary.duration / 1e6
	local e = summary.errors
	io.write(string.format("RESULT %d %.1f %.2f %.2f %.2f %d %d\n", summary.requests,
		summary.requests / s, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		summary.bytes / math.max(summary.requests, 1) / 1024,
		e.connect + e.read + e.write + e.timeout, e.status))
end
LUA

cases=("countries EPSG:3857" "departements EPSG:2154" "world-raster EPSG:3857")
grep -q '<Name>dem</Name>' "$work/caps.xml" && cases+=("dem EPSG:3857")

echo "== machine: $cores cores ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(uname -sr); wrk on the same cores"
echo "== WMS GetMap, PNG, ${run_seconds}s per run, 48 bboxes per layer in rotation; server peak RSS after start: $(hwm)"
echo
echo "| layer | CRS | size | connections | requests/s | p50 | p99 | KiB/map | errors | server peak RSS so far |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for c in "${cases[@]}"; do
	read -r layer crs <<<"$c"
	bboxes "$layer" "$crs" >"$work/$layer.bboxes"
	for size in 256 1024; do
		base="/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=$layer&STYLES=&CRS=$crs&FORMAT=image/png&WIDTH=$size&HEIGHT=$size"
		# A wrong request would answer a small XML exception fast: check
		# that the first bbox gives a PNG before measuring.
		type=$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$port$base&BBOX=$(head -1 "$work/$layer.bboxes")")
		if [ "$type" != image/png ]; then
			echo "| $layer | $crs | $size | – | not measured: GetMap answered $type | | | | | |"
			continue
		fi
		for conns in "$cores" $((2 * cores)); do
			read -r _ _ rps p50 p99 kib errs status < <(
				BBOXES="$work/$layer.bboxes" BASE="$base" \
					wrk -t"$((conns < 2 ? 1 : 2))" -c"$conns" -d"${run_seconds}s" --timeout 10s --latency \
					-s "$work/getmap.lua" "http://127.0.0.1:$port" | grep '^RESULT'
			)
			echo "| $layer | $crs | ${size}×${size} | $conns | $rps | $p50 ms | $p99 ms | $kib | $errs + $status non-2xx | $(hwm) |"
		done
	done
done
echo
echo "== server peak RSS at the end: $(hwm)"

echo "== Go benchmarks (rendering and encoding without the network)"
go test -run '^$' -bench 'BenchmarkRender|BenchmarkEncodePNG' -benchtime 10x -benchmem ./render/ | grep -E '^Benchmark' || true

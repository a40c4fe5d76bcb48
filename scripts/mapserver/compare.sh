#!/usr/bin/env bash
# Side-by-side rendering time of tuiles and MapServer 8 for the same maps
# (make bench-mapserver).
#
# MapServer: map2img -c N draws the map N times in one process (each draw
# loads the mapfile, reads the GeoPackage through OGR, renders with AGG and
# writes the PNG); its per-draw times come from its own debug output
# ("map2img total time"), so process start-up is excluded. The mapfiles in
# this folder mirror the demo's styles (see their headers).
# tuiles: bin/tuiles serve (the bundled demo) on 127.0.0.1, the same GetMap
# repeated by wrk over one connection, so each time is one whole request
# (parse, store query, render, PNG encoding, loopback HTTP).
# Same bbox, size, CRS and PNG settings (24-bit, zlib level 1) on both sides.
#
# Installs mapserver-bin when it is missing (apt-get; sudo when not root).
# Each measurement lasts about BENCH_MAPSERVER_SECONDS (default BENCH_SECONDS/3,
# at least 3 s): about a minute and a half in all with the defaults.
# MAPSERVER_OUT=DIR keeps both tools' images there for a visual check.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

seconds=${BENCH_SECONDS:-15}
run_seconds=${BENCH_MAPSERVER_SECONDS:-$((seconds / 3 > 3 ? seconds / 3 : 3))}
port=${BENCH_MAPSERVER_PORT:-18184}
bin=bin/tuiles

# mapserver-bin, in the manner of scripts/install-deps.sh.
if [ "$(dpkg-query -W -f='${Status}' mapserver-bin 2>/dev/null || true)" != "install ok installed" ]; then
	echo "compare: installing mapserver-bin"
	SUDO=()
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			SUDO=(sudo -n)
		else
			echo "compare: not root and sudo is not available; install as root: apt-get install mapserver-bin" >&2
			exit 1
		fi
	fi
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold mapserver-bin </dev/null
fi
command -v map2img >/dev/null || { echo "compare: map2img is missing after installing mapserver-bin" >&2; exit 1; }
command -v wrk >/dev/null || { echo "compare: wrk is missing: run scripts/install-deps.sh" >&2; exit 1; }
go build -o "$bin" ./cmd/tuiles

# The Go fonts tuiles draws labels with (golang.org/x/image/font/gofont).
fonts="$(go list -m -f '{{.Dir}}' golang.org/x/image 2>/dev/null || true)/font/gofont/ttfs"
if [ ! -f "$fonts/Go-Regular.ttf" ]; then
	go mod download golang.org/x/image
	fonts="$(go list -m -f '{{.Dir}}' golang.org/x/image)/font/gofont/ttfs"
fi

source scripts/lib.sh

cp scripts/mapserver/*.map "$work/"
ln -s "$PWD/testdata/vector/sources.gpkg" "$work/sources.gpkg"
printf 'go %s\ngo-bold %s\n' "$fonts/Go-Regular.ttf" "$fonts/Go-Bold.ttf" >"$work/fonts.list"

start_tuiles "$port"

cat >"$work/one.lua" <<'LUA'
done = function(summary, latency, requests)
	io.write(string.format("RESULT %d %.2f %.2f %d\n", summary.requests,
		summary.duration / 1000 / math.max(summary.requests, 1), latency:percentile(50) / 1000,
		summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
LUA

# stats: median and mean in ms of the seconds on stdin, one per line.
stats() {
	sort -n | awk '{v[NR] = $1 * 1000; s += v[NR]} END {
		if (NR == 0) { print "– –"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f %.1f\n", m, s / NR }'
}

# case: id, name, tuiles layer, CRS, bbox, mapfile. Départements are
# labelled below 1:5M: at 1024 px for France, at both sizes for Paris.
cases=(
	"france|France départements|departements|EPSG:2154|125000,6010000,1275000,7160000|departements.map"
	"paris|Paris region départements|departements|EPSG:2154|500000,6700000,800000,7000000|departements.map"
	"europe|Europe countries|countries|EPSG:3857|-2000000,3000000,4000000,9000000|countries.map"
)

# draw N: map2img draws the current case N times, with its timings in
# $work/map2img.log.
draw() {
	(cd "$work" && map2img -m "$mapfile" -e "$minx" "$miny" "$maxx" "$maxy" -s "$size" "$size" \
		-o "$work/mapserver.png" -all_debug 2 -c "$1" 2>&1) >"$work/map2img.log" || {
		cat "$work/map2img.log" >&2
		exit 1
	}
}

echo "== machine: $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(uname -sr); $(map2img -v | cut -d' ' -f1-3)"
echo "== ${run_seconds}s per measurement; times in ms per map, median (mean)"
echo
echo "| map | CRS | size | tuiles GetMap, 1 connection | MapServer map2img | MapServer draw + PNG write | tuiles ÷ MapServer |"
echo "|---|---|---|---|---|---|---|"
for c in "${cases[@]}"; do
	IFS='|' read -r id name layer crs bbox mapfile <<<"$c"
	read -r minx miny maxx maxy <<<"${bbox//,/ }"
	for size in 256 1024; do
		url="http://127.0.0.1:$port/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=$layer&STYLES=&CRS=$crs&FORMAT=image/png&WIDTH=$size&HEIGHT=$size&BBOX=$bbox"
		type=$(curl -s -o "$work/tuiles.png" -w '%{content_type}' "$url")
		if [ "$type" != image/png ]; then
			echo "| $name | $crs | $size | not measured: GetMap answered $type | | | |"
			continue
		fi
		read -r _ _ t_mean t_p50 t_err < <(wrk -t1 -c1 -d"${run_seconds}s" --timeout 10s -s "$work/one.lua" "$url" | grep '^RESULT')

		# A few draws to size the run, then enough for run_seconds; the
		# first draw of each run (warm-up) is left out.
		draw 3
		one=$(sed -n 's/^map2img total time: \([0-9.]*\)s$/\1/p' "$work/map2img.log" | tail -1)
		n=$(awk -v t="$one" -v s="$run_seconds" 'BEGIN {n = int(s / (t > 0 ? t : 0.001)); print (n < 5 ? 5 : (n > 1000 ? 1000 : n))}')
		draw "$((n + 1))"
		read -r m_p50 m_mean < <(sed -n 's/^map2img total time: \([0-9.]*\)s$/\1/p' "$work/map2img.log" | tail -n +2 | stats)
		read -r d_p50 _ < <(sed -n 's/^msDrawMap() total time: \([0-9.]*\)s$/\1/p' "$work/map2img.log" | tail -n +2 | stats)
		read -r s_p50 _ < <(sed -n 's/^msSaveImage(.*) total time: \([0-9.]*\)s$/\1/p' "$work/map2img.log" | tail -n +2 | stats)
		ratio=$(awk -v a="$t_p50" -v b="$m_p50" 'BEGIN {printf "%.2f", a / b}')
		errs=""
		[ "$t_err" -eq 0 ] || errs=" ($t_err errors)"
		echo "| $name | $crs | ${size}×${size} | $t_p50 ($t_mean)$errs | $m_p50 ($m_mean), $n draws | $d_p50 + $s_p50 | $ratio |"
		if [ -n "${MAPSERVER_OUT:-}" ]; then
			mkdir -p "$MAPSERVER_OUT"
			cp "$work/tuiles.png" "$MAPSERVER_OUT/$id-$size-tuiles.png"
			cp "$work/mapserver.png" "$MAPSERVER_OUT/$id-$size-mapserver.png"
		fi
	done
done

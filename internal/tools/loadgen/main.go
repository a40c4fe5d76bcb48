// Command loadgen drives a running tuiles with a mix of requests from many
// concurrent connections for a bounded time, and reports throughput,
// latency percentiles and statuses per kind of request, and the server's
// peak resident memory. It is the load generator of `make loadtest`.
//
// The mix is the bundled demo's: cached tiles (départements rendered tiles
// seeded beforehand, and the countries cache), WMS GetMap maps of
// départements and countries over France, and WFS GetFeature pages of
// départements in a bounding box. Each request takes the next position of
// a golden-ratio sequence, so maps and pages differ from one request to
// the next.
//
//	go run ./internal/tools/loadgen -base http://127.0.0.1:18190 -conns 200 -duration 60s -pid 1234
//
// It exits with status 1 when any request failed at the transport level
// or answered 5xx.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// kind is one class of request of the mix.
type kind struct {
	name   string
	weight int
	url    func(base string, i int) string
}

// France in Web Mercator metres and in degrees.
const (
	frMinX, frMinY, frMaxX, frMaxY   = -560000.0, 5050000.0, 1060000.0, 6650000.0
	frWest, frSouth, frEast, frNorth = -5.0, 42.0, 8.5, 51.0
)

// golden is the i-th element of a low-discrepancy sequence in [0, 1).
func golden(i int, k float64) float64 {
	_, f := math.Modf(float64(i) * k)
	return f
}

func mix() []kind {
	return []kind{
		{"tile (cached)", 60, func(base string, i int) string {
			// Départements tiles of zoom 5 to 9 over France, seeded before
			// the run, or countries tiles of zoom 0 to 3.
			if i%4 == 3 {
				z := i % 4
				return fmt.Sprintf("%s/tiles/countries/WorldCRS84Quad/%d/%d/%d.png", base, z,
					int(golden(i, 0.618034)*float64(int(2)<<z)), int(golden(i, 0.754878)*float64(int(1)<<z)))
			}
			z := 5 + i%5
			lon := frWest + golden(i, 0.618034)*(frEast-frWest)
			lat := frSouth + golden(i, 0.754878)*(frNorth-frSouth)
			x, y := xyz(lon, lat, z)
			return fmt.Sprintf("%s/tiles/departements/WebMercatorQuad/%d/%d/%d.png", base, z, x, y)
		}},
		{"WMS GetMap 256 px", 25, func(base string, i int) string {
			layer := "departements"
			if i%3 == 2 {
				layer = "countries"
			}
			side := (frMaxX - frMinX) / float64(int(1)<<(i%4))
			x := frMinX + golden(i, 0.618034)*(frMaxX-frMinX-side)
			y := frMinY + golden(i, 0.754878)*(frMaxY-frMinY-side)
			return fmt.Sprintf("%s/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=%s&STYLES=&CRS=EPSG:3857&BBOX=%.0f,%.0f,%.0f,%.0f&WIDTH=256&HEIGHT=256&FORMAT=image/png",
				base, layer, x, y, x+side, y+side)
		}},
		{"WFS GetFeature", 15, func(base string, i int) string {
			side := 2.0
			lon := frWest + golden(i, 0.618034)*(frEast-frWest-side)
			lat := frSouth + golden(i, 0.754878)*(frNorth-frSouth-side)
			return fmt.Sprintf("%s/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=tuiles:departements&COUNT=20&OUTPUTFORMAT=application/json&BBOX=%.3f,%.3f,%.3f,%.3f,urn:ogc:def:crs:OGC:1.3:CRS84",
				base, lon, lat, lon+side, lat+side)
		}},
	}
}

// xyz is the Web Mercator tile of zoom z containing lon/lat.
func xyz(lon, lat float64, z int) (int, int) {
	n := float64(int(1) << z)
	x := (lon + 180) / 360 * n
	r := lat * math.Pi / 180
	y := (1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n
	return int(x), int(y)
}

// result is one request's outcome.
type result struct {
	kind    int
	status  int // 0: transport error
	latency time.Duration
	bytes   int64
}

func main() {
	base := flag.String("base", "http://127.0.0.1:8080", "server base URL")
	conns := flag.Int("conns", 200, "concurrent connections")
	duration := flag.Duration("duration", 60*time.Second, "length of the run")
	pid := flag.Int("pid", 0, "server process id, to sample its resident memory (Linux)")
	flag.Parse()
	if err := run(*base, *conns, *duration, *pid); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(base string, conns int, duration time.Duration, pid int) error {
	kinds := mix()
	var wheel []int // kind index per slot, by weight
	for k, kd := range kinds {
		for range kd.weight {
			wheel = append(wheel, k)
		}
	}
	transport := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: false}
	client := &http.Client{Transport: transport, Timeout: 60 * time.Second}
	// Requests are not cancelled at the end: connections stop starting
	// new ones and the run waits for those in flight, whose answers count.
	end := time.Now().Add(duration)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	peak := make(chan int64, 1)
	go func() { peak <- samplePeakRSS(ctx, pid) }()

	results := make([][]result, conns)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range conns {
		wg.Go(func() {
			for n := 0; time.Now().Before(end); n++ {
				i := c + n*conns // distinct sequence positions across connections
				// 37 is prime to the wheel's 100 slots: each connection
				// goes through the whole mix.
				k := wheel[(c*7+n*37)%len(wheel)]
				u := kinds[k].url(base, i)
				req, _ := http.NewRequest(http.MethodGet, u, nil)
				t0 := time.Now()
				resp, err := client.Do(req)
				r := result{kind: k}
				if err == nil {
					r.bytes, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					r.status = resp.StatusCode
					if err != nil {
						r.status = 0
					}
				}
				if err != nil {
					fmt.Fprintf(os.Stderr, "loadgen: %s: %v\n", u, err)
				}
				r.latency = time.Since(t0)
				results[c] = append(results[c], r)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cancel()
	peakRSS := <-peak
	return report(os.Stdout, kinds, slices.Concat(results...), elapsed, conns, peakRSS, pid)
}

// samplePeakRSS reads the process's VmRSS every 100 ms and returns the
// highest, in bytes; VmHWM at the end covers peaks between samples.
func samplePeakRSS(ctx context.Context, pid int) int64 {
	if pid <= 0 {
		return 0
	}
	var peak int64
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, field := range []string{"VmRSS:", "VmHWM:"} {
			if v := procStatus(pid, field); v > peak {
				peak = v
			}
		}
		select {
		case <-ctx.Done():
			return peak
		case <-tick.C:
		}
	}
}

// procStatus reads a kB field of /proc/PID/status in bytes.
func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// report prints a markdown table and fails when anything failed.
func report(w io.Writer, kinds []kind, rs []result, elapsed time.Duration, conns int, peakRSS int64, pid int) error {
	fmt.Fprintf(w, "%d connections, %.1f s, %d requests, %.0f req/s\n\n", conns, elapsed.Seconds(), len(rs), float64(len(rs))/elapsed.Seconds())
	fmt.Fprintln(w, "| requests | count | req/s | p50 ms | p90 ms | p99 ms | max ms | MiB out | statuses |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---|")
	failed := 0
	row := func(name string, sel func(result) bool) {
		var lat []time.Duration
		var out int64
		statuses := map[int]int{}
		for _, r := range rs {
			if !sel(r) {
				continue
			}
			lat = append(lat, r.latency)
			out += r.bytes
			statuses[r.status]++
		}
		slices.Sort(lat)
		pct := func(p float64) string {
			if len(lat) == 0 {
				return "-"
			}
			return fmt.Sprintf("%.1f", float64(lat[min(len(lat)-1, int(p*float64(len(lat))))])/1e6)
		}
		var codes []int
		for c := range statuses {
			codes = append(codes, c)
		}
		sort.Ints(codes)
		var parts []string
		for _, c := range codes {
			label := strconv.Itoa(c)
			if c == 0 {
				label = "error"
			}
			parts = append(parts, fmt.Sprintf("%s×%d", label, statuses[c]))
		}
		fmt.Fprintf(w, "| %s | %d | %.0f | %s | %s | %s | %s | %.1f | %s |\n", name, len(lat), float64(len(lat))/elapsed.Seconds(),
			pct(0.50), pct(0.90), pct(0.99), pct(1), float64(out)/(1<<20), strings.Join(parts, " "))
	}
	for k, kd := range kinds {
		row(kd.name, func(r result) bool { return r.kind == k })
	}
	row("all", func(result) bool { return true })
	for _, r := range rs {
		if r.status == 0 || r.status >= 500 {
			failed++
		}
	}
	if pid > 0 {
		fmt.Fprintf(w, "\nserver peak RSS: %.0f MiB\n", float64(peakRSS)/(1<<20))
	}
	if failed > 0 {
		return fmt.Errorf("%d requests failed (5xx or transport error)", failed)
	}
	fmt.Fprintln(w, "\nno 5xx, no transport error")
	return nil
}

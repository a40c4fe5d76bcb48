package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// SIGTERM under load: every request the server accepted gets its whole
// answer, the process exits cleanly, and the tiles it rendered are in the
// cache afterwards (the pending writes were flushed before the caches
// closed).
func TestSIGTERMUnderLoad(t *testing.T) {
	dir := t.TempDir()
	cfg := seedConfig(t, dir)
	p := startServe(t, cfg)
	base := p.base
	// One connection per request. A request the server handled is in its
	// access log (with the unique n of its query); every such request
	// must reach the client whole. Requests that fail without appearing
	// there were never accepted: refused once the listener closed, or
	// dropped by the kernel from the listen backlog when it closed, which
	// clients retry.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var seq atomic.Int64
	clientErrs := map[string]string{} // query n → error
	var mu sync.Mutex
	served := map[string]bool{}
	var failures []string
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				// Distinct tiles at zoom 9 over France: each a cache miss,
				// so renders and cache writes are in flight.
				path := fmt.Sprintf("/tiles/departements/WebMercatorQuad/9/%d/%d.png", 250+(w*7+i)%20, 170+(i/20)%20)
				n := strconv.FormatInt(seq.Add(1), 10)
				resp, err := client.Get(base + path + "?n=" + n)
				if err != nil {
					mu.Lock()
					clientErrs[n] = err.Error()
					mu.Unlock()
					if strings.Contains(err.Error(), "connection refused") {
						return
					}
					continue
				}
				body, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				switch {
				case rerr != nil:
					failures = append(failures, fmt.Sprintf("%s: body cut: %v", path, rerr))
				case resp.StatusCode == 200 && len(body) > 0:
					served[path] = true
				case resp.StatusCode != 404: // tiles outside the layer's extent
					failures = append(failures, fmt.Sprintf("%s: %d", path, resp.StatusCode))
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t, 40*time.Second); err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, p.logs.String())
	}
	logs := p.logs
	stop()
	wg.Wait()
	for n, e := range clientErrs {
		if strings.Contains(logs.String(), `query="n=`+n+`"`) || strings.Contains(logs.String(), "query=n="+n+" ") || strings.Contains(logs.String(), "query=n="+n+"\n") {
			failures = append(failures, fmt.Sprintf("request n=%d was handled by the server but failed at the client: %s", atoiOr(n), e))
		}
	}
	if len(failures) > 0 {
		t.Errorf("%d requests failed around SIGTERM, first: %s", len(failures), failures[0])
	}
	if len(served) < 5 {
		t.Fatalf("only %d tiles served before SIGTERM", len(served))
	}
	// Every tile served is in the cache now.
	tiles := allTiles(t, filepath.Join(dir, "cache.mbtiles"))
	for path := range served {
		var z, x, y int
		if _, err := fmt.Sscanf(path, "/tiles/departements/WebMercatorQuad/%d/%d/%d.png", &z, &x, &y); err != nil {
			t.Fatal(err)
		}
		found := false
		for k := range tiles {
			if k.Z == z && k.Col == x && k.Row == y {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("tile %s was served but is not in the cache after SIGTERM", path)
		}
	}
	if v := runTuiles(t, "cache", "verify", filepath.Join(dir, "cache.mbtiles")); !strings.Contains(v, "ok: ") {
		t.Errorf("verify: %s", v)
	}
	_ = os.Remove(filepath.Join(dir, "cache.mbtiles-wal"))
}

func atoiOr(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// kill -9 while requests fill the cache on demand: the cache left behind
// passes `tuiles cache verify`, and a restarted server serves from it and
// goes on filling it.
func TestKillDuringOnDemandFilling(t *testing.T) {
	dir := t.TempDir()
	cfg := seedConfig(t, dir)
	p := startServe(t, cfg)
	client := &http.Client{Timeout: 30 * time.Second}
	ctx, stop := context.WithCancel(context.Background())
	var served atomic.Int64
	var wg sync.WaitGroup
	tile := func(w, i int) string {
		return fmt.Sprintf("/tiles/departements/WebMercatorQuad/10/%d/%d.png", 500+(w*11+i)%40, 340+(i/40)%40)
	}
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				resp, err := client.Get(p.base + tile(w, i))
				if err != nil {
					return // the server is gone
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					served.Add(1)
				}
			}
		})
	}
	// Kill once tiles have been rendered, so writes are in flight.
	deadline := time.Now().Add(30 * time.Second)
	for served.Load() < 30 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.wait(t, 10*time.Second)
	stop()
	wg.Wait()
	if served.Load() < 30 {
		t.Fatalf("only %d tiles served before kill -9", served.Load())
	}
	cache := filepath.Join(dir, "cache.mbtiles")
	if v := runTuiles(t, "cache", "verify", cache); !strings.Contains(v, "ok: ") {
		t.Fatalf("verify after kill -9: %s", v)
	}
	before := len(allTiles(t, cache))
	// A new server opens the cache as it is and fills it further.
	q := startServe(t, cfg)
	for i := range 20 {
		resp, err := client.Get(q.base + tile(7, 1000+i))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
			t.Errorf("after restart: %d", resp.StatusCode)
		}
	}
	if err := q.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := q.wait(t, 40*time.Second); err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, q.logs.String())
	}
	if after := len(allTiles(t, cache)); after <= before {
		t.Errorf("the restarted server added no tile to the cache (%d, then %d)", before, after)
	}
	if v := runTuiles(t, "cache", "verify", cache); !strings.Contains(v, "ok: ") {
		t.Errorf("verify after restart: %s", v)
	}
}

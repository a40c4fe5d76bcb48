package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
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
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd := exec.Command(demo.bin, "serve", "--config", cfg, "--listen", addr)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr
	if err := waitHealthy(base, 30*time.Second); err != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("%v\n%s", err, logs.String())
	}
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
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(40 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("no exit 40 s after SIGTERM\n%s", logs.String())
	}
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

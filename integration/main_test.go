package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// server is the tuiles process shared by the tests of this package.
type server struct {
	base string
	bin  string
	root string
	logs *bytes.Buffer
}

var demo server // set once by TestMain, read-only afterwards

func TestMain(m *testing.M) {
	code, err := runMain(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func runMain(m *testing.M) (int, error) {
	root, err := repoRoot()
	if err != nil {
		return 0, err
	}
	tmp, err := os.MkdirTemp("", "tuiles-integration")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "tuiles")
	build := exec.Command("go", "build", "-o", bin, "./cmd/tuiles")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build: %v\n%s", err, out)
	}
	if err := importDemoStore(bin, root); err != nil {
		return 0, err
	}
	addr, err := freeAddr()
	if err != nil {
		return 0, err
	}
	logs := &bytes.Buffer{}
	cmd := exec.Command(bin, "serve", "--config", filepath.Join(root, "testdata/demo/tuiles.yaml"), "--listen", addr)
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	stop := func() error {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			return fmt.Errorf("no exit 30 s after SIGINT")
		}
	}
	demo = server{base: "http://" + addr, bin: bin, root: root, logs: logs}
	if err := waitHealthy(demo.base, 30*time.Second); err != nil {
		_ = stop()
		return 0, fmt.Errorf("%w\nserver log:\n%s", err, logs)
	}
	code := m.Run()
	// A clean shutdown on SIGINT is part of what is tested.
	if err := stop(); err != nil && code == 0 {
		return 0, fmt.Errorf("server did not stop cleanly on SIGINT: %v\n%s", err, logs)
	}
	if code != 0 {
		fmt.Fprintf(os.Stderr, "server log (last 4 KiB):\n%s\n", tail(logs.String(), 4096))
	}
	return code, nil
}

// importDemoStore builds the demo's feature store with `tuiles import`, as
// the first run of the bundled demo does, unless it is there already.
func importDemoStore(bin, root string) error {
	target := filepath.Join(root, "testdata/demo/store.gpkg")
	if _, err := os.Stat(target); err == nil {
		return nil
	}
	tmp := target + ".building"
	_ = os.Remove(tmp)
	defer os.Remove(tmp)
	src := filepath.Join(root, "testdata/vector/sources.gpkg")
	for _, table := range []string{"departements", "departement_points", "region_outlines", "countries"} {
		out, err := exec.Command(bin, "import", src, "--source-layer", table, "--layer", table, "--into", tmp).CombinedOutput()
		if err != nil {
			return fmt.Errorf("tuiles import %s: %v\n%s", table, err, out)
		}
	}
	return os.Rename(tmp, target)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the test source")
	}
	return filepath.Dir(filepath.Dir(file)), nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitHealthy(base string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("server at %s not healthy after %s", base, limit)
}

// get fetches a path of the demo server.
func get(t testing.TB, path string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, demo.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// Go's transport adds Accept-Encoding: gzip and decodes it on its own
	// unless the caller sets the header, which tests do explicitly.
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// tool runs an external client with GDAL's caches off so each test sees the
// server's answers.
func tool(t testing.TB, name string, args ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (make test installs it): %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "GDAL_ENABLE_WMS_CACHE=NO", "GDAL_HTTP_TIMEOUT=30", "CPL_CURL_VERBOSE=NO", "GDAL_HTTP_MAX_RETRY=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

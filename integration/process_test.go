package integration

import (
	"os/exec"
	"testing"
	"time"

	"github.com/tuiles/tuiles/internal/syncbuf"
)

// process is a `tuiles serve` started by one test, on its own address.
type process struct {
	base   string
	cmd    *exec.Cmd
	logs   *syncbuf.Buffer
	exited chan error
}

// startServe runs `tuiles serve --config cfg` on a free address and waits
// until it is healthy; the process is killed when the test ends unless it
// has exited.
func startServe(t *testing.T, cfg string) *process {
	t.Helper()
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{base: "http://" + addr, logs: &syncbuf.Buffer{}, exited: make(chan error, 1)}
	p.cmd = exec.Command(demo.bin, "serve", "--config", cfg, "--listen", addr)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	if err := waitHealthy(p.base, 30*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, p.logs.String())
	}
	return p
}

// wait waits up to limit for the process to exit and returns how it did.
func (p *process) wait(t *testing.T, limit time.Duration) error {
	t.Helper()
	select {
	case err := <-p.exited:
		p.exited <- err // for the cleanup
		return err
	case <-time.After(limit):
		t.Fatalf("the server did not exit within %s\n%s", limit, p.logs.String())
		return nil
	}
}

// execCommand is exec.Command, for helpers in files that do not import
// os/exec.
func execCommand(name string, args ...string) *exec.Cmd { return exec.Command(name, args...) }

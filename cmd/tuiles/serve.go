package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tuiles/tuiles/api"
	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/cmd/tuiles/config"
	"github.com/tuiles/tuiles/ogc/server"
	"github.com/tuiles/tuiles/ogc/tileserve"
	"github.com/tuiles/tuiles/ogc/tms"
	"github.com/tuiles/tuiles/ogc/viewer"
	"github.com/tuiles/tuiles/ogc/wfs"
	"github.com/tuiles/tuiles/ogc/wms"
	"github.com/tuiles/tuiles/ogc/wmts"
	"github.com/tuiles/tuiles/ogc/xyz"
	"github.com/tuiles/tuiles/render"
)

type serveArgs struct {
	config  string
	listen  string
	tlsCert string
	tlsKey  string
	log     logFlags
}

func serveFlags() (*flag.FlagSet, *serveArgs) {
	a := &serveArgs{}
	fs := newFlagSet("serve", " [--config FILE] [--listen ADDR]")
	fs.StringVar(&a.config, "config", "", "configuration file (default: the bundled demo, "+demoConfig+")")
	fs.StringVar(&a.listen, "listen", "", "address to listen on, overriding server.listen (default "+config.DefaultListen+")")
	fs.StringVar(&a.tlsCert, "tls-cert", "", "PEM certificate (chain) file: serve HTTPS and HTTP/2; overrides server.tls_cert")
	fs.StringVar(&a.tlsKey, "tls-key", "", "PEM private key file of --tls-cert; overrides server.tls_key")
	a.log.register(fs, "info")
	return fs, a
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, a := serveFlags()
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if a.listen != "" {
		if _, _, err := net.SplitHostPort(a.listen); err != nil {
			fmt.Fprintf(stderr, "tuiles serve: --listen %q is not an address (want host:port or :port)\n", a.listen)
			return exitUsage
		}
	}
	log, err := a.log.logger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "tuiles serve: %v\n", err)
		return exitUsage
	}

	path := a.config
	if path == "" {
		path, err = findDemo(demoCandidates())
		if err != nil {
			fmt.Fprintf(stderr, "tuiles serve: %v\n", err)
			return exitError
		}
		log.Info("no --config given: serving the bundled demo", "config", path)
		if err := ensureDemoStore(ctx, filepath.Dir(path), log, stderr); err != nil {
			fmt.Fprintf(stderr, "tuiles serve: building the demo store: %v\n", err)
			return exitError
		}
	}
	cfg, include, err := loadServing(path, log)
	if err != nil {
		printProblems(stderr, err)
		return exitError
	}
	sh := newShared(cfg, log)
	live := catalog.NewLive(nil)
	reloads := newReloader(ctx, path, sh, live, log)
	var apiHandler *api.Handler
	var prod *producerAPI
	if cfg.Producer.DataDir != "" {
		if prod, err = startProducerAPI(ctx, cfg, reloads, log); err != nil {
			fmt.Fprintf(stderr, "tuiles serve: producer API: %v\n", err)
			return exitError
		}
		apiHandler = prod.handler
	}
	if err := reloads.start(ctx, cfg, include); err != nil {
		if prod != nil {
			prod.close()
		}
		printProblems(stderr, err)
		return exitError
	}
	// Stores close after the server has stopped, when no request can read
	// them any more.
	defer func() {
		if err := reloads.Close(); err != nil {
			log.Error("closing the tile caches", "err", err)
		}
	}()
	// Runs first (defers run last in, first out): the job runner stops
	// before the builds close, so no job rebuilds a closed server.
	if prod != nil {
		defer prod.close()
	}
	// SIGHUP reloads the configuration, as daemons do.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				reloads.reload(ctx)
			case <-ctx.Done():
				return
			}
		}
	}()
	listen := cfg.Server.Listen
	if a.listen != "" {
		listen = a.listen
	}
	certFile, keyFile := cmp.Or(a.tlsCert, cfg.Resolve(cfg.Server.TLSCert)), cmp.Or(a.tlsKey, cfg.Resolve(cfg.Server.TLSKey))
	if (certFile == "") != (keyFile == "") {
		fmt.Fprintln(stderr, "tuiles serve: HTTPS needs both a certificate and a key (--tls-cert and --tls-key, or server.tls_cert and server.tls_key)")
		return exitUsage
	}
	var tlsConfig *tls.Config
	if certFile != "" {
		if tlsConfig, err = server.LoadTLS(certFile, keyFile); err != nil {
			fmt.Fprintf(stderr, "tuiles serve: %v\n", err)
			return exitError
		}
	}
	srv := newServer(cfg, live, sh.renderer, sh.registry, listen, tlsConfig, apiHandler, log)
	log.Info("serving", "config", path, "layers", len(live.Current().Layers()), "pid", os.Getpid())
	if err := srv.ListenAndServe(ctx); err != nil {
		log.Error("server stopped", "err", err)
		return exitError
	}
	return exitOK
}

// newServer wires the protocol handlers and the HTTP server.
func newServer(cfg *config.Config, src catalog.Source, renderer *render.Renderer, reg *prometheus.Registry, listen string, tlsConfig *tls.Config, producerAPI *api.Handler, log *slog.Logger) *server.Server {
	// One tile responder for every protocol, so its cache of empty tiles
	// is shared.
	tiles := tileserve.New(log)
	public := cfg.Server.PublicURL
	origins := cfg.Server.CORSOrigins
	if origins == nil {
		// The configuration asked for no CORS; nil would mean the
		// server's default, which allows every origin.
		origins = []string{}
	}
	o := server.Options{
		Listen:  listen,
		Catalog: src,
		WMTS:    wmts.NewHandler(wmts.Options{Catalog: src, PublicURL: public, Tiles: tiles, Logger: log}),
		TMS:     tms.NewHandler(tms.Options{Catalog: src, PublicURL: public, Tiles: tiles, Logger: log}),
		XYZ:     xyz.NewHandler(xyz.Options{Catalog: src, PublicURL: public, Tiles: tiles, Logger: log}),
		WMS: wms.NewHandler(wms.HandlerOptions{
			Catalog:   src,
			PublicURL: public,
			Renderer:  renderer,
			Limits:    wms.Options{MaxWidth: cfg.WMS.MaxWidth, MaxHeight: cfg.WMS.MaxHeight, MaxLayers: cfg.WMS.MaxLayers},
			CRSs:      cfg.WMS.CRS,
			Logger:    log,
		}),
		WFS: wfs.NewHandler(wfs.Options{
			Catalog: func(ctx context.Context) ([]wfs.FeatureType, catalog.Service) {
				c := src.For(ctx)
				if c == nil {
					return nil, catalog.Service{}
				}
				return featureTypes(c), c.Service
			},
			PublicURL:    public,
			MaxFeatures:  cfg.WFS.MaxFeatures,
			MaxBodyBytes: cfg.Server.MaxBodyBytes,
			Timeout:      time.Duration(cfg.WFS.Timeout),
			Logger:       log,
		}),
		CORSOrigins:  origins,
		PublicURL:    public,
		Metrics:      reg,
		Gatherer:     reg,
		RateLimits:   rateLimits(cfg.Server.RateLimits.ByService()),
		TrustProxy:   cfg.Server.TrustProxy,
		MaxBodyBytes: cfg.Server.MaxBodyBytes,
		TLS:          tlsConfig,
		Viewer:       viewer.NewHandler(viewer.Options{Catalog: src, PublicURL: public, Logger: log}),
		Logger:       log,
	}
	// Left unset without the API: a nil *api.Handler in the interface
	// would not be nil.
	if producerAPI != nil {
		o.API = producerAPI
	}
	return server.New(o)
}

// demoTables are the layers of testdata/vector/sources.gpkg the bundled
// demo publishes over WFS.
func demoTables() []string {
	return []string{"departements", "departement_points", "region_outlines", "countries"}
}

// ensureDemoStore imports the demo's feature tables on its first run, so a
// newcomer's `tuiles serve` works without a separate import step. The
// store is built under another name and renamed into place, so an
// interrupted first run leaves no half-made store behind.
func ensureDemoStore(ctx context.Context, demoDir string, log *slog.Logger, stderr io.Writer) error {
	target := filepath.Join(demoDir, "store.gpkg")
	if _, err := os.Stat(target); err == nil {
		return nil
	}
	src := filepath.Join(demoDir, "..", "vector", "sources.gpkg")
	tmp := target + ".building"
	_ = os.Remove(tmp)
	defer os.Remove(tmp)
	log.Info("first run of the demo: importing its feature tables", "from", src, "into", target)
	for _, table := range demoTables() {
		args := []string{src, "--source-layer", table, "--layer", table, "--into", tmp}
		if code := runImport(ctx, args, io.Discard, stderr); code != exitOK {
			return fmt.Errorf("tuiles import %s failed", strings.Join(args, " "))
		}
	}
	return os.Rename(tmp, target)
}

// featureTypes lists the catalog's WFS layers for the WFS handler.
func featureTypes(cat *catalog.Catalog) []wfs.FeatureType {
	if cat == nil {
		return nil
	}
	layers := cat.LayersFor(catalog.WFS)
	out := make([]wfs.FeatureType, 0, len(layers))
	for _, l := range layers {
		out = append(out, wfs.FeatureType{
			Name: l.Name, Title: l.Title, Abstract: l.Abstract, Keywords: l.Keywords,
			Source: l.Features.Source, Table: l.Features.Table,
		})
	}
	return out
}

// printProblems writes configuration problems one per line.
func printProblems(w io.Writer, err error) {
	var ps config.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			fmt.Fprintln(w, p.Error())
		}
		return
	}
	fmt.Fprintln(w, err)
}

// demoConfig is where the bundled demo's configuration lives in the
// repository.
const demoConfig = "testdata/demo/tuiles.yaml"

// demoCandidates lists where the demo may be: under the working directory
// (go run from the repository), or beside the executable or its parent
// (a binary built into the repository or its bin/ folder).
func demoCandidates() []string {
	var c []string
	if wd, err := os.Getwd(); err == nil {
		c = append(c, filepath.Join(wd, demoConfig))
	}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dir := filepath.Dir(exe)
		c = append(c, filepath.Join(dir, demoConfig), filepath.Join(filepath.Dir(dir), demoConfig))
	}
	return c
}

// findDemo returns the first candidate that exists.
func findDemo(candidates []string) (string, error) {
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && fi.Mode().IsRegular() {
			return c, nil
		}
	}
	return "", fmt.Errorf("no --config given and the bundled demo (%s) was not found; looked at:\n  %s", demoConfig, strings.Join(candidates, "\n  "))
}

// rateLimits turns the configuration's limits into the server's.
func rateLimits(in map[string]config.RateLimit) map[string]server.RateLimit {
	out := make(map[string]server.RateLimit, len(in))
	for service, l := range in {
		burst := l.Burst
		if burst == 0 {
			burst = max(1, int(l.Rate)) // a second's worth
		}
		out[service] = server.RateLimit{Rate: l.Rate, Burst: burst}
	}
	return out
}

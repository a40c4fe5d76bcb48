// Package server is the HTTP side of tuiles: it mounts the protocol
// handlers, wraps every request in the same middleware, answers the health
// and readiness probes and the index page, and shuts down gracefully.
//
// # Routes
//
//	/          index page (exact path only)
//	/healthz   200 "ok" while the process serves
//	/readyz    200 once a catalog is loaded, 503 before
//	/wmts, /wmts/   WMTS (KVP and REST)
//	/tms/      TMS
//	/tiles/    XYZ tiles and TileJSON
//	/wfs       WFS (KVP and XML POST)
//	/wms       WMS (KVP)
//
// Anything else is 404. A protocol left nil in Options is not mounted.
//
// # Middleware
//
// Outermost first, so that each layer sees what the ones inside it did:
//
//  1. recover: a panic becomes a logged 500 (with its stack), or an aborted
//     connection when the response had started; the process never dies of
//     one request.
//  2. request id: X-Request-ID is taken from the request when sane, else
//     generated, and echoed in the response; RequestID reads it.
//  3. access log: one slog line per request with method, path, status,
//     bytes sent, duration and request id. It sits inside recover but
//     notices a panic passing through, and logs it as a 500.
//  4. CORS: Access-Control-Allow-Origin for the configured origins, and
//     OPTIONS (preflight included) answered 204 here.
//  5. compression: gzip of XML, JSON, HTML and text answers with status
//     200, for clients that accept it, unless the handler already chose a
//     Content-Encoding (stored-gzip vector tiles). Vary: Accept-Encoding is
//     set on every such answer.
//  6. timeout: the request context ends when the write deadline would, so
//     handlers stop working on answers that could not be sent.
//
// The http.Server adds the connection timeouts (ReadHeaderTimeout and the
// others below) and the header size limit.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tuiles/tuiles/catalog"
)

// Connection limits of the http.Server. The read-header timeout is short
// because slow headers are the cheapest way to hold connections open
// (slowloris); whole requests and answers get a minute, which covers a large
// capabilities document or a slow client on a mobile link.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 60 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
	MaxHeaderBytes    = 64 << 10
	// DefaultShutdownTimeout leaves requests in flight time to finish
	// while staying under the 30 s most process supervisors wait before
	// killing.
	DefaultShutdownTimeout = 20 * time.Second
)

// Options configures a Server.
type Options struct {
	// RateLimits are per-client token buckets by service (wmts, tms,
	// xyz, wms, wfs); a service without one is not limited. TrustProxy
	// takes the client from X-Forwarded-For (behind a reverse proxy).
	RateLimits map[string]RateLimit
	TrustProxy bool
	// Metrics, when set, receives the HTTP metrics, and Gatherer (usually
	// the same registry) is served at /metrics.
	Metrics  prometheus.Registerer
	Gatherer prometheus.Gatherer
	// Listen is the TCP address of ListenAndServe, such as ":8080".
	Listen string
	// Catalog gives the published layers, for /readyz and the index page.
	Catalog catalog.Source
	// WMTS, TMS and XYZ are the protocol handlers, mounted at /wmts and
	// /wmts/, /tms/ and /tiles/; nil leaves the protocol out.
	WMTS, TMS, XYZ http.Handler
	// WFS is the feature service, mounted at /wfs.
	WFS http.Handler
	// WMS is the map service, mounted at /wms.
	WMS http.Handler
	// CORSOrigins lists the origins allowed to read answers from a
	// browser: "*" for any. Nil means ["*"], since map data is meant to be
	// shown on other sites; a non-nil empty list disables CORS.
	CORSOrigins []string
	// PublicURL is the base URL written in links of the index page; empty
	// means it is rebuilt from each request.
	PublicURL string
	// Logger receives the access log and errors; nil discards them.
	Logger *slog.Logger
	// ShutdownTimeout bounds the graceful shutdown; zero means
	// DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// MaxBodyBytes bounds a request body; a larger one is refused with
	// 413. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Viewer serves the map page of each layer at /view/ (linked from
	// the index page); nil leaves it out.
	Viewer http.Handler
	// API is the producer API, mounted at APIPrefix; it bounds its own
	// request bodies (uploads), so MaxBodyBytes does not apply to it.
	API http.Handler
	// TLS, when set, serves HTTPS with it (HTTP/2 offered through ALPN,
	// HTTP/1.1 still accepted); see LoadTLS.
	TLS *tls.Config
}

// LoadTLS reads a PEM certificate chain and its private key into a TLS
// configuration offering HTTP/2 and HTTP/1.1, refusing TLS before 1.2.
func LoadTLS(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"h2", "http/1.1"},
	}, nil
}

// APIPrefix is where Options.API is mounted.
const APIPrefix = "/api/v1/"

// DefaultMaxBodyBytes bounds request bodies: WFS POST filters with
// detailed polygons stay well under it.
const DefaultMaxBodyBytes = 8 << 20

// Server is the HTTP server. It is safe for concurrent use; Serve or
// ListenAndServe may be called once.
type Server struct {
	opts    Options
	log     *slog.Logger
	handler http.Handler
	// gzips recycles gzip writers, whose buffers (hundreds of KiB) would
	// otherwise be allocated for every compressed answer.
	gzips     sync.Pool
	indexTmpl *template.Template
	metrics   *httpMetrics // nil without Options.Metrics
	limiters  map[string]*limiter
}

// New builds the server and its handler chain.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.CORSOrigins == nil {
		o.CORSOrigins = []string{"*"}
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	s := &Server{opts: o, log: o.Logger, indexTmpl: parseIndexTemplate()}
	if o.Metrics != nil {
		s.metrics = newHTTPMetrics(o.Metrics)
	}
	for service, l := range o.RateLimits {
		if l.Rate > 0 {
			if s.limiters == nil {
				s.limiters = map[string]*limiter{}
			}
			s.limiters[service] = newLimiter(l)
		}
	}
	s.handler = s.recoverPanics(s.requestID(s.hideAccessKey(s.pin(s.accessLog(s.instrument(s.cors(s.rateLimit(s.limitBody(s.compress(s.timeout(s.routes())))))))))))
	return s
}

// Handler is the whole handler chain, middleware included; tests drive it
// with httptest.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	if s.opts.Gatherer != nil {
		mux.Handle("GET /metrics", metricsHandler(s.opts.Gatherer))
	}
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.opts.WMTS != nil {
		mux.Handle("/wmts", s.opts.WMTS)
		mux.Handle("/wmts/", s.opts.WMTS)
	}
	if s.opts.TMS != nil {
		mux.Handle("/tms/", s.opts.TMS)
	}
	if s.opts.WFS != nil {
		mux.Handle("/wfs", s.opts.WFS)
	}
	if s.opts.WMS != nil {
		mux.Handle("/wms", s.opts.WMS)
	}
	if s.opts.XYZ != nil {
		mux.Handle("/tiles/", s.opts.XYZ)
	}
	if s.opts.API != nil {
		mux.Handle(APIPrefix, s.opts.API)
	}
	if s.opts.Viewer != nil {
		mux.Handle("/view/", s.opts.Viewer)
	}
	return mux
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeText(w, http.StatusOK, "ok")
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.opts.Catalog == nil || s.opts.Catalog.For(r.Context()) == nil {
		writeText(w, http.StatusServiceUnavailable, "no catalog loaded")
		return
	}
	writeText(w, http.StatusOK, "ready")
}

func writeText(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	// Probes must reach the process, never a cache.
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// ListenAndServe listens on Options.Listen and serves until ctx is
// cancelled, then shuts down gracefully (see Serve).
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.opts.Listen, err)
	}
	return s.Serve(ctx, ln)
}

// Serve answers requests on ln until ctx is cancelled. It then stops
// accepting connections and waits up to Options.ShutdownTimeout for the
// requests in flight, and returns nil if they all finished. Serve closes
// ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// Requests keep ctx's values but not its cancellation: the
		// shutdown below lets them finish instead of cutting them off.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	scheme := "http"
	if s.opts.TLS != nil {
		// http.Server speaks HTTP/2 over TLS when its TLSConfig offers
		// h2 (LoadTLS does).
		srv.TLSConfig = s.opts.TLS
		ln = tls.NewListener(ln, s.opts.TLS)
		scheme = "https"
	}
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("listening", "addr", ln.Addr().String(), "scheme", scheme)

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "timeout", s.opts.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		err = fmt.Errorf("graceful shutdown: %w", errors.Join(err, srv.Close()))
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("serve: %w", serr))
	}
	if err == nil {
		s.log.Info("stopped")
	}
	return err
}

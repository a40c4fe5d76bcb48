package server

import (
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/ogc/ows"
)

// responseWriter records what was sent, for the access log and for
// recover, which can only answer 500 if nothing was sent yet.
type responseWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *responseWriter) WriteHeader(code int) {
	// 1xx answers are interim; the real status follows.
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	// Every 503 (busy renderer, timeout, no catalog yet) tells clients
	// and proxies when to come back, whichever handler wrote it.
	if code == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", RetryAfterSeconds)
	}
	w.ResponseWriter.WriteHeader(code)
}

// RetryAfterSeconds is the Retry-After of 503 answers: renders last tens
// of milliseconds, so a second is enough for a slot to free up.
const RetryAfterSeconds = "1"

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (Flush,
// deadlines) through the wrapper.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush is here as well because some code still asserts http.Flusher.
func (w *responseWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &responseWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler { // net/http's own signal to abort quietly
				panic(p)
			}
			s.log.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("request_id", w.Header().Get(requestIDHeader)),
				slog.Any("panic", p),
				slog.String("stack", string(debug.Stack())))
			if rw.status != 0 {
				// Part of the answer is out: a 500 can no longer be
				// sent, and a truncated body must not pass for a whole
				// one, so the connection is cut.
				panic(http.ErrAbortHandler)
			}
			h := w.Header()
			for _, k := range []string{"Content-Encoding", "Content-Length", "ETag", "Last-Modified", "Cache-Control", "Content-Disposition"} {
				h.Del(k)
			}
			h.Set("Cache-Control", "no-store")
			http.Error(rw, "internal server error", http.StatusInternalServerError)
		}()
		next.ServeHTTP(rw, r)
	})
}

const requestIDHeader = "X-Request-ID"

type requestIDKey struct{}

// RequestID returns the request id of a request's context, or "" outside
// the server's handler chain. Handlers add it to their log lines so that a
// user's report (they see it in X-Request-ID) finds the server's lines.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(requestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// validRequestID accepts the ids proxies and tracing systems generate and
// refuses anything that could forge log lines or headers.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("-_.:/+=@", c):
		default:
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents it)
	return hex.EncodeToString(b[:])
}

func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &responseWriter{ResponseWriter: w}
		completed := false
		// Deferred, so that a request that panics is logged too; the
		// panic goes on to recover, outside.
		defer func() {
			status := rw.status
			switch {
			case !completed && status == 0:
				status = http.StatusInternalServerError
			case status == 0:
				status = http.StatusOK
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelWarn
			}
			attrs := []slog.Attr{
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Int64("bytes", rw.bytes),
				slog.Duration("duration", time.Since(start)),
				slog.String("request_id", RequestID(r.Context())),
				slog.String("remote", r.RemoteAddr),
			}
			if r.URL.RawQuery != "" {
				attrs = append(attrs, slog.String("query", r.URL.RawQuery))
			}
			s.log.LogAttrs(r.Context(), level, "request", attrs...)
		}()
		next.ServeHTTP(rw, r)
		completed = true
	})
}

// Header lists of CORS answers. Web maps read ETag and Content-Length
// (OpenLayers and MapLibre caches), and users report X-Request-ID.
const (
	corsMethods       = "GET, HEAD, OPTIONS"
	corsAllowHeaders  = "Accept, Accept-Encoding, Accept-Language, Cache-Control, Content-Type, If-Match, If-Modified-Since, If-None-Match, Range, X-Request-ID"
	corsExposeHeaders = "ETag, Content-Length, Content-Type, Content-Encoding, Content-Range, Last-Modified, Cache-Control, X-Request-ID"
	corsMaxAge        = "86400"
)

func (s *Server) cors(next http.Handler) http.Handler {
	origins := s.opts.CORSOrigins
	anyOrigin := slices.Contains(origins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		origin := r.Header.Get("Origin")
		allowed := ""
		switch {
		case len(origins) == 0:
		case anyOrigin:
			allowed = "*"
		default:
			// The answer depends on Origin, which caches must know.
			h.Add("Vary", "Origin")
			if origin != "" && slices.Contains(origins, origin) {
				allowed = origin
			}
		}
		if allowed != "" {
			h.Set("Access-Control-Allow-Origin", allowed)
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		if r.Method != http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		// Every resource here is read-only, so OPTIONS has one answer,
		// and a preflight never reaches the protocol handlers (which
		// would refuse the method).
		h.Set("Allow", corsMethods)
		if allowed != "" && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", corsMethods)
			h.Set("Access-Control-Allow-Headers", allowHeaders(r.Header.Get("Access-Control-Request-Headers")))
			h.Set("Access-Control-Max-Age", corsMaxAge)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// allowHeaders answers a preflight's Access-Control-Request-Headers: the
// usual list, plus whatever well-formed names the client asks for, since
// nothing here depends on request headers for access.
func allowHeaders(requested string) string {
	list := corsAllowHeaders
	for _, name := range strings.Split(requested, ",") {
		name = strings.TrimSpace(name)
		if name == "" || !isToken(name) || strings.Contains(strings.ToLower(list), strings.ToLower(name)) {
			continue
		}
		list += ", " + name
	}
	return list
}

func isToken(s string) bool {
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", c):
		default:
			return false
		}
	}
	return s != ""
}

func (s *Server) timeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.API != nil && strings.HasPrefix(r.URL.Path, APIPrefix) {
			// Uploads take as long as the client sends them (the API
			// extends their read deadline); cancelling them after a
			// minute would fail every large one.
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), WriteTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// minCompressSize is the size under which gzip's header and dictionary cost
// more than they save.
const minCompressSize = 256

func (s *Server) compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gw := &gzipWriter{ResponseWriter: w, s: s, accepts: acceptsGzip(r), head: r.Method == http.MethodHead}
		defer gw.close()
		next.ServeHTTP(gw, r)
	})
}

// gzipWriter decides at WriteHeader, when the handler's headers are known,
// whether to compress.
type gzipWriter struct {
	http.ResponseWriter
	s        *Server
	accepts  bool
	head     bool
	decided  bool
	compress bool
	gz       *gzip.Writer
}

func (g *gzipWriter) WriteHeader(code int) {
	if g.decided || code < 200 {
		g.ResponseWriter.WriteHeader(code)
		return
	}
	g.decided = true
	h := g.Header()
	ct := h.Get("Content-Type")
	textual := compressible(ct)
	// A 304 carries no Content-Type, but must Vary as its 200 would.
	if textual || (code == http.StatusNotModified && ct == "") {
		addVary(h, "Accept-Encoding")
	}
	if code == http.StatusOK && textual && g.accepts && h.Get("Content-Encoding") == "" && !small(h.Get("Content-Length")) {
		g.compress = true
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		// Byte ranges would count compressed bytes; answer whole.
		h.Del("Accept-Ranges")
		// The compressed bytes differ from the ones the strong tag names;
		// a weak tag still matches If-None-Match (weak comparison) so 304s
		// keep working.
		if et := h.Get("ETag"); et != "" && !strings.HasPrefix(et, "W/") {
			h.Set("ETag", "W/"+et)
		}
		if !g.head {
			g.gz = g.s.gzipWriter(g.ResponseWriter)
		}
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.decided {
		if g.Header().Get("Content-Type") == "" {
			// net/http would sniff at this point; do it first so the
			// decision sees the type.
			g.Header().Set("Content-Type", http.DetectContentType(b))
		}
		g.WriteHeader(http.StatusOK)
	}
	if g.compress {
		if g.gz == nil { // HEAD
			return len(b), nil
		}
		return g.gz.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

func (g *gzipWriter) Flush() {
	if g.gz != nil {
		_ = g.gz.Flush()
	}
	_ = http.NewResponseController(g.ResponseWriter).Flush()
}

func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

func (g *gzipWriter) close() {
	if g.gz == nil {
		return
	}
	_ = g.gz.Close()
	g.gz.Reset(nil)
	g.s.gzips.Put(g.gz)
	g.gz = nil
}

func (s *Server) gzipWriter(w http.ResponseWriter) *gzip.Writer {
	if gz, ok := s.gzips.Get().(*gzip.Writer); ok {
		gz.Reset(w)
		return gz
	}
	// BestSpeed, as nginx's default: a quarter larger than the default
	// level but two to three times cheaper, and on a busy server the CPU
	// is scarcer than the bandwidth (a 540 kB GeoJSON page: 175 kB in
	// 1.6 ms instead of 143 kB in 3.4 ms).
	gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed) // the level is valid
	return gz
}

func small(contentLength string) bool {
	n, err := strconv.ParseInt(contentLength, 10, 64)
	return err == nil && n < minCompressSize
}

// compressible tells whether a media type is text that gzip shrinks: XML
// (capabilities, exceptions), JSON (TileJSON), HTML and plain text. Images
// and vector tiles are left alone: they are compressed already.
func compressible(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") ||
		strings.HasSuffix(mt, "xml") || strings.HasSuffix(mt, "json") ||
		mt == "application/javascript"
}

// acceptsGzip reads Accept-Encoding, honouring q=0 refusals.
func acceptsGzip(r *http.Request) bool {
	ok := false
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "x-gzip" && name != "*" {
			continue
		}
		refused := false
		if q, found := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); found {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				refused = true
			}
		}
		if name == "gzip" || name == "x-gzip" {
			return !refused
		}
		ok = !refused // "*" applies unless gzip is named
	}
	return ok
}

func addVary(h http.Header, field string) {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), field) || strings.TrimSpace(f) == "*" {
				return
			}
		}
	}
	h.Add("Vary", field)
}

// limitBody refuses a body announced larger than Options.MaxBodyBytes with
// 413 before reading it, and cuts one that grows past it while read (a
// chunked upload), so no handler can be made to buffer an unbounded body.
func (s *Server) limitBody(next http.Handler) http.Handler {
	max := s.opts.MaxBodyBytes
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.API != nil && strings.HasPrefix(r.URL.Path, APIPrefix) {
			next.ServeHTTP(w, r) // uploads: the API bounds them itself
			return
		}
		if r.ContentLength > max {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			_, _ = fmt.Fprintf(w, "request body of %d bytes; at most %d are accepted\n", r.ContentLength, max)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, max)
		}
		next.ServeHTTP(w, r)
	})
}

// pinner is a catalog source that can pin its catalog to a request
// (catalog.Live).
type pinner interface {
	Pin(ctx context.Context, accessKey string) (context.Context, func())
}

// pin gives each request one catalog snapshot for its whole life, so that
// a reload in the middle of a request neither mixes two catalogs in one
// answer nor closes the stores it is reading.
func (s *Server) pin(next http.Handler) http.Handler {
	p, ok := s.opts.Catalog.(pinner)
	if !ok {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, _ := r.Context().Value(accessKeyCtx{}).(string)
		ctx, release := p.Pin(r.Context(), key)
		if c := catalog.Pinned(ctx); key != "" && c != nil && c.Restricted() {
			// The key opened layers: documents repeat it in their URLs.
			ctx = ows.WithAccessKey(ctx, key)
		}
		defer release()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// accessKeyCtx is the context key of a request's access key.
type accessKeyCtx struct{}

// hideAccessKey takes the request's access key into its context (for pin)
// and blanks it out of the query string, so that no log line (access log,
// protocol errors) ever holds a key: logs travel further than secrets
// should.
func (s *Server) hideAccessKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := accessKey(r)
		if key == "" {
			next.ServeHTTP(w, r)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), accessKeyCtx{}, key))
		if q := r.URL.RawQuery; q != "" {
			parts := strings.Split(q, "&")
			for i, p := range parts {
				name, _, _ := strings.Cut(p, "=")
				if strings.EqualFold(name, "apikey") {
					parts[i] = name + "=redacted"
				}
			}
			u := *r.URL
			u.RawQuery = strings.Join(parts, "&")
			r.URL = &u
		}
		next.ServeHTTP(w, r)
	})
}

// accessKey is the key a request carries for restricted layers: the
// apikey parameter (any case, as the Géoplateforme's clients send it), or
// the X-API-Key or apikey header.
func accessKey(r *http.Request) string {
	if k := r.Header.Get("X-API-Key"); k != "" {
		return k
	}
	if k := r.Header.Get("apikey"); k != "" {
		return k
	}
	// Scanned rather than parsed: this runs for every request, tiles
	// included, and almost none has a key.
	for rest := r.URL.RawQuery; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, "&")
		name, value, _ := strings.Cut(part, "=")
		if strings.EqualFold(name, "apikey") && value != "" {
			if v, err := url.QueryUnescape(value); err == nil {
				return v
			}
		}
	}
	return ""
}

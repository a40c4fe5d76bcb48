package server

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit is a token bucket per client: Rate requests per second on
// average, Burst at once.
type RateLimit struct {
	Rate  float64
	Burst int
}

// maxClients bounds the buckets kept: past it, idle buckets are dropped
// first, so a scan from many addresses cannot grow memory without bound.
const maxClients = 100_000

// clientIdle is how long a full bucket is kept after its last use.
const clientIdle = 10 * time.Minute

// limiter holds the buckets of one service's clients.
type limiter struct {
	limit RateLimit
	mu    sync.Mutex
	seen  map[string]*bucket
}

type bucket struct {
	l    *rate.Limiter
	last time.Time
}

func newLimiter(l RateLimit) *limiter {
	return &limiter{limit: l, seen: map[string]*bucket{}}
}

// allow takes a token for client; when none is left it returns how long
// until one is.
func (lm *limiter) allow(client string, now time.Time) (bool, time.Duration) {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	b, ok := lm.seen[client]
	if !ok {
		if len(lm.seen) >= maxClients {
			lm.sweep(now)
		}
		b = &bucket{l: rate.NewLimiter(rate.Limit(lm.limit.Rate), max(lm.limit.Burst, 1))}
		lm.seen[client] = b
	}
	b.last = now
	r := b.l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops buckets idle for clientIdle, or all of them if that frees
// nothing (an extreme flood of addresses).
func (lm *limiter) sweep(now time.Time) {
	for k, b := range lm.seen {
		if now.Sub(b.last) > clientIdle {
			delete(lm.seen, k)
		}
	}
	if len(lm.seen) >= maxClients {
		clear(lm.seen)
	}
}

// clientKey identifies a client: the API key when one is sent, else the
// remote address (the first X-Forwarded-For hop when the server trusts a
// proxy in front).
func (s *Server) clientKey(r *http.Request) string {
	if k, _ := r.Context().Value(accessKeyCtx{}).(string); k != "" {
		return "key:" + k
	}
	if s.opts.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			for i := 0; i < len(xff); i++ {
				if xff[i] == ',' {
					xff = xff[:i]
					break
				}
			}
			return "ip:" + trimSpace(xff)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "ip:" + host
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// rateLimit answers 429 with Retry-After to a client over its service's
// rate; other clients are not affected.
func (s *Server) rateLimit(next http.Handler) http.Handler {
	if len(s.limiters) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		service, _, _ := s.classify(r)
		lm, ok := s.limiters[service]
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		allowed, wait := lm.allow(s.clientKey(r), time.Now())
		if !allowed {
			secs := int(wait/time.Second) + 1
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte("too many requests from this client; retry after " + strconv.Itoa(secs) + " s\n"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

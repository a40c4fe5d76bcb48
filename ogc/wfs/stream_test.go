package wfs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tuiles/tuiles/catalog"
)

// TestErrorBeforeStreaming: a store failure on the first features, before
// anything was sent, is an exception with a 500, its cause logged but not
// shown.
func TestErrorBeforeStreaming(t *testing.T) {
	var logs bytes.Buffer
	h, s := newFixtureHandler(t, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	s.failAfter = 1
	w := get(t, h, gf+"TYPENAMES=countries")
	checkException(t, w, http.StatusInternalServerError, codeOperationProcessingFailed, "")
	if strings.Contains(w.Body.String(), "disk on fire") || !strings.Contains(logs.String(), "disk on fire") {
		t.Errorf("cause shown or not logged:\n%s\n%s", w.Body, logs.String())
	}
}

// TestErrorWhileStreaming: once features have gone out, an error cuts the
// connection, so the client cannot take a truncated document for a whole
// one.
func TestErrorWhileStreaming(t *testing.T) {
	big := bigSource(5000)
	big.failAt = 4000
	var logs bytes.Buffer
	h := NewHandler(Options{Catalog: func(context.Context) ([]FeatureType, catalog.Service) {
		return []FeatureType{{Name: "points", Source: big, Table: "points"}}, catalog.Service{}
	},
		MaxFeatures: 10000, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, format := range []string{"", "&OUTPUTFORMAT=json"} {
		resp, err := http.Get(srv.URL + "/wfs?" + gf + "TYPENAMES=points" + format)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Errorf("%s: the truncated body was read without error", format)
		}
	}
	if !strings.Contains(logs.String(), "aborted") {
		t.Errorf("abort not logged:\n%s", logs.String())
	}
}

// TestTimeout: the store query is cancelled at Options.Timeout and the
// client told to ask for less.
func TestTimeout(t *testing.T) {
	h, s := newFixtureHandler(t, func(o *Options) { o.Timeout = 20 * time.Millisecond })
	s.block = true
	start := time.Now()
	w := get(t, h, gf+"TYPENAMES=countries")
	checkException(t, w, http.StatusServiceUnavailable, codeOperationProcessingFailed, "")
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}

// TestLargeResultStreams reads a whole large layer in both encodings and
// checks the counts.
func TestLargeResultStreams(t *testing.T) {
	const n = 20000
	big := bigSource(n)
	h := NewHandler(Options{Catalog: func(context.Context) ([]FeatureType, catalog.Service) {
		return []FeatureType{{Name: "points", Source: big, Table: "points"}}, catalog.Service{}
	},
		MaxFeatures: n})
	w := get(t, h, gf+"TYPENAMES=points&OUTPUTFORMAT=json")
	var fc geoJSONCollection
	if err := json.Unmarshal(mustOK(t, w), &fc); err != nil {
		t.Fatal(err)
	}
	if fc.NumberMatched != n || fc.NumberReturned != n || len(fc.Features) != n {
		t.Errorf("matched %d returned %d features %d", fc.NumberMatched, fc.NumberReturned, len(fc.Features))
	}
	body := mustOK(t, get(t, h, gf+"TYPENAMES=points"))
	if c := bytes.Count(body, []byte("<wfs:member>")); c != n {
		t.Errorf("%d members", c)
	}
	if !bytes.Contains(body, []byte(fmt.Sprintf(`numberMatched="%d" numberReturned="%d"`, n, n))) {
		t.Errorf("numbers missing")
	}
}

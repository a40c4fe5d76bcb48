// Package tileserve holds what every tile protocol (WMTS, TMS, XYZ) does
// the same way, so that it is written once. It answers tile requests: it
// checks a tile key against the layer's limits, asks the layer's provider,
// applies the missing-tile policy, and writes the tile with the right
// Content-Type, Content-Encoding, ETag, Cache-Control and
// conditional-request handling. It also reads the parts of request paths
// the protocols share (segments, extensions, tile indexes), serves their
// generated documents, and fills in their handlers' options.
//
// The protocols differ in their URL grammar and in how they report errors,
// and that stays in each protocol's package: errors here are sentinels and
// typed errors for each protocol's adapter to word as its own exception.
package tileserve

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image/color"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/tiling"
)

// Server resolves and writes tiles. It is safe for concurrent use.
type Server struct {
	log *slog.Logger
	// blanks caches the encoded empty tiles, which depend only on format,
	// size and colour and are asked for often (sea, sparse caches).
	mu     sync.Mutex
	blanks map[blankKey]tiling.Tile
}

type blankKey struct {
	format string
	w, h   int
	c      color.NRGBA
}

// New makes a Server logging to log.
func New(log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{log: log, blanks: map[blankKey]tiling.Tile{}}
}

// Fetch returns the tile k of layer l in tileset ts. It returns an error
// wrapping tiling.ErrOutOfRange when k lies outside the matrix or the
// layer's limits, tiling.ErrNotFound when the tile is missing and the layer's
// policy is MissingNotFound, and a Tile with no Data (to answer 204 No
// Content) for a missing vector tile under MissingEmpty.
func (s *Server) Fetch(ctx context.Context, l *catalog.Layer, ts *catalog.Tileset, k tiling.Key, f tiling.Format) (tiling.Tile, error) {
	if err := ts.Set.Validate(k); err != nil {
		return tiling.Tile{}, err
	}
	if !ts.Contains(k) {
		return tiling.Tile{}, fmt.Errorf("%w: tile %d/%d/%d is outside the limits of layer %s in %s", tiling.ErrOutOfRange, k.Z, k.Col, k.Row, l.Name, ts.Set.ID)
	}
	t, err := ts.Provider.Tile(ctx, k)
	if err == nil {
		if t.ETag == "" {
			t.ETag = ETag(t.Data)
		}
		if t.ContentType == "" {
			t.ContentType = f.MediaType
		}
		return t, nil
	}
	if !errors.Is(err, tiling.ErrNotFound) {
		return tiling.Tile{}, fmt.Errorf("layer %s tile %d/%d/%d: %w", l.Name, k.Z, k.Col, k.Row, err)
	}
	if l.Missing == catalog.MissingNotFound {
		return tiling.Tile{}, err
	}
	if f.Vector {
		return tiling.Tile{ContentType: f.MediaType, ModTime: l.ModTime}, nil
	}
	m := &ts.Set.Matrices[k.Z]
	c := color.NRGBA{}
	if f.Opaque {
		c = color.NRGBA{l.Background[0], l.Background[1], l.Background[2], 255}
	}
	blank, err := s.blank(f, m.TileWidth, m.TileHeight, c)
	if err != nil {
		return tiling.Tile{}, err
	}
	blank.ModTime = l.ModTime
	return blank, nil
}

func (s *Server) blank(f tiling.Format, w, h int, c color.NRGBA) (tiling.Tile, error) {
	key := blankKey{f.Name, w, h, c}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.blanks[key]; ok {
		return t, nil
	}
	data, err := encodeBlank(f.Name, w, h, c)
	if err != nil {
		return tiling.Tile{}, fmt.Errorf("empty %s tile: %w", f.Name, err)
	}
	t := tiling.Tile{Data: data, ContentType: f.MediaType, ETag: ETag(data)}
	s.blanks[key] = t
	return t, nil
}

// ETag is the strong entity tag of tile data: it changes whenever the bytes
// do, and survives restarts, so client and proxy caches stay valid across
// deployments.
func ETag(data []byte) string {
	sum := sha256.Sum256(data)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// Write sends t. maxAge sets Cache-Control. Stored-gzip tiles go out as they
// are to clients that accept gzip, and decompressed for the others, with a
// different ETag since the bytes differ. HEAD, If-None-Match and
// If-Modified-Since are handled by http.ServeContent.
func Write(w http.ResponseWriter, r *http.Request, t tiling.Tile, maxAge time.Duration) error {
	h := w.Header()
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(max(maxAge, 0)/time.Second)))
	if len(t.Data) == 0 {
		h.Set("Content-Type", t.ContentType)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	data, etag := t.Data, t.ETag
	if t.ContentEncoding == "gzip" {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
		} else {
			plain, err := gunzip(data)
			if err != nil {
				return fmt.Errorf("stored tile is not valid gzip: %w", err)
			}
			data = plain
			etag = strings.TrimSuffix(etag, `"`) + `-identity"`
		}
	}
	h.Set("Content-Type", t.ContentType)
	if etag != "" {
		h.Set("ETag", etag)
	}
	http.ServeContent(w, r, "", t.ModTime, bytes.NewReader(data))
	return nil
}

// acceptsGzip reads Accept-Encoding, honouring q=0 refusals. An explicit
// gzip entry wins over the "*" wildcard whatever their order (RFC 9110
// section 12.5.3), so "*;q=0, gzip" accepts gzip and "gzip;q=0, *" does not.
func acceptsGzip(r *http.Request) bool {
	star := false
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name != "gzip" && name != "x-gzip" && name != "*" {
				continue
			}
			ok := !zeroQ(params)
			if name == "*" {
				star = ok
				continue
			}
			return ok
		}
	}
	return star
}

// zeroQ tells whether the parameters of an Accept-Encoding entry hold q=0.
func zeroQ(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.ReplaceAll(p, " ", ""), "=")
		if strings.EqualFold(k, "q") {
			q, err := strconv.ParseFloat(v, 64)
			return err == nil && q == 0
		}
	}
	return false
}

// maxTileSize bounds decompression so a hostile or broken cache entry
// cannot exhaust memory.
const maxTileSize = 64 << 20

func gunzip(data []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, maxTileSize+1))
	if err != nil {
		return nil, err
	}
	if len(out) > maxTileSize {
		return nil, errors.New("decompressed tile exceeds 64 MiB")
	}
	return out, nil
}

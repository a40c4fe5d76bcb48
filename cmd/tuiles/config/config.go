// Package config is the YAML configuration of tuiles: its schema, its
// defaults, and a loader that checks it.
//
// Load is strict: a key the schema does not know is an error, because a
// misspelt key silently ignored (maxage for max_age) is a setting the
// operator believes in and does not have. Every problem carries the file,
// line, column and key path, and Load reports all of them at once, so that
// `tuiles check` is a single round trip.
//
// Load checks what it can from the file alone: shapes and types, names,
// tile matrix sets (built-in or read from the files listed), formats,
// bounds, durations, and that the MBTiles files exist. Opening the data is
// left to the composition root, which reports what it finds through
// Config.Problemf so those problems look the same.
package config

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/tuiles/tuiles/tiling"
)

// Defaults of the values a configuration may leave out.
const (
	DefaultListen = ":8080"
	// DefaultMaxBodyBytes bounds request bodies unless
	// server.max_body_bytes says otherwise.
	DefaultMaxBodyBytes = 8 << 20
	DefaultMaxAge       = time.Hour
	// DefaultMaxFeatures caps a WFS page unless wfs.max_features says
	// otherwise.
	DefaultMaxFeatures = 10000
	DefaultWFSTimeout  = time.Minute
	// DefaultMetaTile and DefaultBuffer shape rendered tile caches.
	DefaultMetaTile = 4
	DefaultBuffer   = 64
	// DefaultMaxZoom caps the zoom levels of rendered tiles when
	// tiles.max_zoom is left out: deeper levels are rarely worth a cache.
	DefaultMaxZoom = 20
	// SetPlaceholder in data.mbtiles expands to each tile matrix set
	// identifier of the layer.
	SetPlaceholder = "{set}"
)

// FormatPNG8 in tiles.formats of a rendered layer asks for paletted PNG
// tiles (256 colours, much smaller), served as image/png.
const FormatPNG8 = "png8"

// Values of tiles.missing.
const (
	MissingEmpty    = "empty"
	MissingNotFound = "not_found"
)

// Config is a whole configuration file. The exported fields mirror the YAML
// keys; Load fills the defaults of those left out.
type Config struct {
	Server  Server  `yaml:"server"`
	Service Service `yaml:"service"`
	// TileMatrixSets lists built-in set identifiers and paths of OGC 2D
	// TMS JSON files. The built-in sets are available even when not
	// listed.
	TileMatrixSets []string `yaml:"tile_matrix_sets"`
	// Store is the GeoPackage holding the feature tables that layers name
	// with data.table (see tuiles import).
	Store string `yaml:"store"`
	WFS   WFS    `yaml:"wfs"`
	WMS   WMS    `yaml:"wms"`
	// Producer turns on the producer API (/api/v1) when DataDir is set.
	Producer Producer `yaml:"producer"`
	Layers   []Layer  `yaml:"layers"`

	file  string
	dir   string
	pos   map[string]Position
	nulls map[string]bool
	// keyPos and lines serve hints about values YAML read differently
	// from what the user meant.
	keyPos map[string]Position
	lines  []string
	sets   map[string]*tiling.TileMatrixSet
	// setIDs lists the known set identifiers in a stable order for
	// messages.
	setIDs []string
}

// Producer configures the producer API.
type Producer struct {
	// DataDir holds the producers' catalog (producer.db), store, rasters,
	// styles, rendered caches and uploads being processed; relative to the
	// configuration file. Empty: no producer API.
	DataDir string `yaml:"data_dir"`
	// MaxUploadBytes bounds one upload (default 1 GiB).
	MaxUploadBytes int64 `yaml:"max_upload_bytes"`
}

// Server configures the HTTP server.
type Server struct {
	// Listen is the TCP address to listen on; --listen overrides it.
	Listen string `yaml:"listen"`
	// PublicURL is the base URL written in capabilities documents. Empty
	// means it is rebuilt from each request (Host, X-Forwarded-*).
	PublicURL string `yaml:"public_url"`
	// CORSOrigins are the origins browsers may read responses from; "*"
	// allows all, an empty list disables CORS.
	CORSOrigins []string `yaml:"cors_origins"`
	// MaxRenders bounds the maps and metatiles rendered at once (0: twice
	// the CPUs) and RenderQueue those waiting for a slot (0: 64 times
	// MaxRenders); beyond, requests get 503 with Retry-After.
	MaxRenders  int `yaml:"max_renders"`
	RenderQueue int `yaml:"render_queue"`
	// RateLimits are per-client token buckets by service (wmts, tms, xyz,
	// wms, wfs): rate requests per second, burst at once; a client over
	// it gets 429 with Retry-After. Clients are told apart by apikey, else
	// address (X-Forwarded-For's first hop with TrustProxy).
	RateLimits RateLimits `yaml:"rate_limits"`
	TrustProxy bool       `yaml:"trust_proxy"`
	// SeedThreads is how many metatiles background seeds (tiles.
	// seed_max_zoom) render at once, all layers together (default 1):
	// requests come first.
	SeedThreads int `yaml:"seed_threads"`
	// MaxBodyBytes bounds request bodies (WFS POST); larger ones get 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// TLSCert and TLSKey are PEM files: with them the server speaks HTTPS
	// and HTTP/2 (relative paths are to the configuration file).
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
}

// RateLimits are the per-client limits of each service; a zero rate is no
// limit.
type RateLimits struct {
	WMTS RateLimit `yaml:"wmts"`
	TMS  RateLimit `yaml:"tms"`
	XYZ  RateLimit `yaml:"xyz"`
	WMS  RateLimit `yaml:"wms"`
	WFS  RateLimit `yaml:"wfs"`
}

// ByService lists the limits set, by service name.
func (r RateLimits) ByService() map[string]RateLimit {
	out := map[string]RateLimit{}
	for name, l := range map[string]RateLimit{ServiceWMTS: r.WMTS, ServiceTMS: r.TMS, ServiceXYZ: r.XYZ, ServiceWMS: r.WMS, ServiceWFS: r.WFS} {
		if l.Rate > 0 {
			out[name] = l
		}
	}
	return out
}

// RateLimit is one service's per-client limit.
type RateLimit struct {
	Rate  float64 `yaml:"rate"`
	Burst int     `yaml:"burst"`
}

// WFS limits the feature service.
type WFS struct {
	// MaxFeatures caps the features of one GetFeature page, whatever the
	// client asks (CountDefault in capabilities).
	MaxFeatures int `yaml:"max_features"`
	// Timeout cancels a request's store query when it runs longer.
	Timeout Duration `yaml:"timeout"`
}

// Service describes the server in capabilities documents.
type Service struct {
	Title             string   `yaml:"title"`
	Abstract          string   `yaml:"abstract"`
	Keywords          []string `yaml:"keywords"`
	Provider          string   `yaml:"provider"`
	ProviderURL       string   `yaml:"provider_url"`
	ContactEmail      string   `yaml:"contact_email"`
	Fees              string   `yaml:"fees"`
	AccessConstraints string   `yaml:"access_constraints"`
}

// Layer is one published layer.
type Layer struct {
	// Name appears in URLs: letters, digits, '_', '.', '-'.
	Name string `yaml:"name"`
	// Title, Abstract and Attribution default to the MBTiles metadata
	// (name, description, attribution).
	Title       string   `yaml:"title"`
	Abstract    string   `yaml:"abstract"`
	Keywords    []string `yaml:"keywords"`
	Attribution string   `yaml:"attribution"`
	Data        Data     `yaml:"data"`
	Tiles       Tiles    `yaml:"tiles"`
	// AccessKeySHA256, when given, restricts the layer to requests that
	// carry the access key (apikey) of this SHA-256 (64 hex digits).
	AccessKeySHA256 string `yaml:"access_key_sha256"`
	// Services the layer is published through. Default: wmts, tms, xyz
	// for tile caches; wfs and wms for store tables; wms for rasters.
	Services []string `yaml:"services"`
	// Styles are SLD files (1.0.0 or SE 1.1.0) WMS renders the layer
	// with; the first is the default.
	Styles []string `yaml:"styles"`
}

// Service names of layers[].services.
const (
	ServiceWMTS = "wmts"
	ServiceTMS  = "tms"
	ServiceXYZ  = "xyz"
	ServiceWFS  = "wfs"
	ServiceWMS  = "wms"
)

// Publishes tells whether the layer is published through service.
func (l *Layer) Publishes(service string) bool {
	return slices.Contains(l.Services, service)
}

// Data says where a layer's data comes from.
type Data struct {
	// MBTiles is the path of a prebuilt tile cache, relative to the
	// configuration file. {set} expands to each tile matrix set of the
	// layer, since one MBTiles file holds one set.
	MBTiles string `yaml:"mbtiles"`
	// Table is a feature table of the store (see Config.Store), or of
	// Store when given.
	Table string `yaml:"table"`
	// Store, when given, is the GeoPackage holding Table instead of the
	// top-level store.
	Store string `yaml:"store"`
	// Raster is a raster file (GeoTIFF, COG, …) WMS renders.
	Raster string `yaml:"raster"`
}

// Tiles is how a layer's tiles are served.
type Tiles struct {
	// Sets are tile matrix set identifiers. Empty means the set the MBTiles
	// metadata names (tile_matrix_set), else WebMercatorQuad.
	Sets []string `yaml:"sets"`
	// Formats are format names (png, jpeg, webp, pbf). Empty means the
	// MBTiles format; given, it must agree with it.
	Formats []string `yaml:"formats"`
	// MaxAge is the Cache-Control max-age of tiles (default 1h).
	MaxAge Duration `yaml:"max_age"`
	// Missing is what to answer for a tile the cache lacks: MissingEmpty
	// (the default) or MissingNotFound.
	Missing string `yaml:"missing"`
	// Background is the colour of empty tiles in opaque formats (JPEG);
	// white by default.
	Background Color `yaml:"background"`
	// Bounds, west, south, east, north in WGS84 degrees, override the
	// MBTiles bounds.
	Bounds []float64 `yaml:"bounds"`
	// Cache is the MBTiles file (with {set} for several sets) where the
	// tiles of a layer rendered from data.table or data.raster are kept;
	// it is created when missing and filled on demand or by tuiles seed.
	Cache string `yaml:"cache"`
	// MetaTile is the side, in tiles, of the blocks rendered at once so
	// that labels and symbols across tile borders are drawn once.
	MetaTile int `yaml:"metatile"`
	// Buffer is how many pixels are rendered around a metatile and cut
	// away, so symbols of features just outside still show at its edge.
	Buffer int `yaml:"buffer"`
	// MinZoom and MaxZoom bound the zoom levels of rendered tiles
	// (defaults 0 and the set's deepest level, at most DefaultMaxZoom;
	// MaxZoom is -1 when left out).
	MinZoom int `yaml:"min_zoom"`
	MaxZoom int `yaml:"max_zoom"`
	// Fields are the attributes vector tiles (pbf) keep; left out: all
	// of them, []: none.
	Fields []string `yaml:"fields"`
	// SeedMaxZoom, when given (else -1), makes serve seed the missing
	// tiles of zooms MinZoom to SeedMaxZoom in the background, at start
	// and after each reload.
	SeedMaxZoom int `yaml:"seed_max_zoom"`
}

// Rendered tells whether the layer's tiles are rendered from its table
// or raster into tiles.cache, rather than read from data.mbtiles.
func (t *Tiles) Rendered() bool { return t.Cache != "" }

// CacheFile is the layer's rendered tile cache for one tile matrix set,
// as written in the configuration (relative to it).
func (l *Layer) CacheFile(set string) string {
	return strings.ReplaceAll(l.Tiles.Cache, SetPlaceholder, set)
}

// MBTilesFile is the layer's MBTiles path for one tile matrix set, as
// written in the configuration (relative to it; see Config.Resolve).
func (l *Layer) MBTilesFile(set string) string {
	return strings.ReplaceAll(l.Data.MBTiles, SetPlaceholder, set)
}

// Default returns the configuration of an empty file.
func Default() *Config {
	return &Config{
		Server: Server{Listen: DefaultListen, CORSOrigins: []string{"*"}},
		WFS:    WFS{MaxFeatures: DefaultMaxFeatures, Timeout: Duration(DefaultWFSTimeout)},
		WMS:    defaultWMS(),
		Service: Service{
			Title:    "tuiles",
			Abstract: "Map tiles served by tuiles.",
		},
	}
}

// Load reads and checks the configuration file at path.
//
// The error, when not nil, is Problems. When the file could be parsed, the
// Config is returned along with its problems, so that tools can go on
// checking the parts that are sound (see Problems.About); a program about
// to serve must not use a Config that came with an error.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, Problems{{File: path, Msg: "cannot read the configuration: " + err.Error()}}
	}
	c := Default()
	c.file = path
	c.dir = filepath.Dir(path)
	c.pos = map[string]Position{}
	c.nulls = map[string]bool{}
	c.keyPos = map[string]Position{}
	c.lines = strings.Split(string(data), "\n")
	problems, fatal := c.decode(data)
	if fatal {
		return nil, problems
	}
	c.applyDefaults()
	decoding := problems
	for _, v := range c.validate() {
		// A value that failed to decode was left at its default, which
		// validation may flag again under another name: say it once.
		if !decoding.overlaps(v.Key) {
			problems = append(problems, v)
		}
	}
	if len(problems) > 0 {
		// Decoding and validation find problems in different orders;
		// the file's order is the one to read them in.
		slices.SortStableFunc(problems, func(a, b Problem) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Col - b.Col
		})
		return c, problems
	}
	return c, nil
}

// decode parses data into c. fatal means there is nothing to validate: the
// file is not YAML, or not a mapping.
func (c *Config) decode(data []byte) (ps Problems, fatal bool) {
	f, err := parser.ParseBytes(data, 0)
	sentinel := ""
	if err != nil {
		// {mbtiles: tiles/x-{set}.mbtiles} is not YAML (braces end a flow
		// mapping), yet it is how the placeholder reads most naturally and
		// how the documentation first wrote it. The placeholder is swapped
		// for a plain word of the same length, so positions stay right,
		// and swapped back in the decoded values.
		sentinel = freeSentinel(data)
		if sentinel != "" {
			if f2, err2 := parser.ParseBytes(bytes.ReplaceAll(data, []byte(SetPlaceholder), []byte(sentinel)), 0); err2 == nil {
				f, err = f2, nil
			}
		}
	}
	if err != nil {
		p := c.yamlProblem(err)
		if p.Line > 0 && p.Line <= len(c.lines) && strings.Contains(c.lines[p.Line-1], SetPlaceholder) && strings.Contains(c.lines[p.Line-1], "{") {
			p.Msg += fmt.Sprintf(` (inside {...}, quote a path that contains %s: {mbtiles: "tiles/x-%s.mbtiles"})`, SetPlaceholder, SetPlaceholder)
		}
		return Problems{p}, true
	}
	var body ast.Node
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			p := position(doc.Body)
			return Problems{{File: c.file, Line: p.Line, Col: p.Col, Msg: "a configuration is one YAML document; remove the second one (---)"}}, true
		}
		body = doc.Body
	}
	if body == nil {
		return nil, false
	}
	d := newDecoder(c.file, body)
	if mappingOf(body) == nil && body.Type() != ast.NullType {
		p := position(body)
		return Problems{{File: c.file, Line: p.Line, Col: p.Col, Msg: "want a mapping with server, service, tile_matrix_sets and layers, got " + describe(body)}}, true
	}
	d.decode(body, reflect.ValueOf(c).Elem(), "", 0)
	c.pos, c.nulls, c.keyPos = d.pos, d.nulls, d.keyPos
	if sentinel != "" {
		replaceStrings(reflect.ValueOf(c).Elem(), sentinel, SetPlaceholder)
		for i := range d.problems {
			d.problems[i].Msg = strings.ReplaceAll(d.problems[i].Msg, sentinel, SetPlaceholder)
		}
	}
	if len(d.problems) > 0 {
		return d.problems, false
	}
	// go-yaml's own strict decoder must agree that the file is clean; it
	// catches anything the walk above would let through.
	var check Config
	if err := yaml.NodeToValue(body, &check, yaml.DisallowUnknownField(), yaml.AllowFieldPrefixes(ExtensionPrefix)); err != nil {
		return Problems{c.yamlProblem(err)}, false
	}
	return nil, false
}

// yamlProblem turns a go-yaml error into a Problem, keeping its position
// and dropping the source excerpt its Error() carries.
func (c *Config) yamlProblem(err error) Problem {
	p := Problem{File: c.file, Msg: err.Error()}
	var yerr yaml.Error
	if errors.As(err, &yerr) {
		p.Msg = yerr.GetMessage()
		if tk := yerr.GetToken(); tk != nil && tk.Position != nil {
			p.Line, p.Col = tk.Position.Line, tk.Position.Column
		}
	}
	return p
}

// freeSentinel returns a word as long as SetPlaceholder that can stand in a
// plain YAML scalar anywhere and does not occur in data, or "" when data
// has no placeholder to replace.
func freeSentinel(data []byte) string {
	if !bytes.Contains(data, []byte(SetPlaceholder)) {
		return ""
	}
	for a := 'Q'; a <= 'Z'; a++ {
		for d := '0'; d <= '9'; d++ {
			w := string(a) + "set" + string(d)
			if len(w) == len(SetPlaceholder) && !bytes.Contains(data, []byte(w)) {
				return w
			}
		}
	}
	return ""
}

// replaceStrings replaces old by new in every string reachable from v.
func replaceStrings(v reflect.Value, old, new string) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(strings.ReplaceAll(v.String(), old, new))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				replaceStrings(v.Field(i), old, new)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			replaceStrings(v.Index(i), old, new)
		}
	}
}

// given tells whether key was written with a non-null value.
func (c *Config) given(key string) bool {
	_, ok := c.pos[key]
	return ok && !c.nulls[key]
}

func (c *Config) applyDefaults() {
	if !c.given("server.cors_origins") {
		c.Server.CORSOrigins = []string{"*"}
	}
	for i := range c.Layers {
		t := &c.Layers[i].Tiles
		p := fmt.Sprintf("layers[%d].tiles.", i)
		if !c.given(p + "max_age") {
			t.MaxAge = Duration(DefaultMaxAge)
		}
		if !c.given(p + "missing") {
			t.Missing = MissingEmpty
		}
		if !c.given(p + "background") {
			t.Background = Color{255, 255, 255}
		}
		if !c.given(p + "metatile") {
			t.MetaTile = DefaultMetaTile
		}
		if !c.given(p + "buffer") {
			t.Buffer = DefaultBuffer
		}
		if !c.given(p + "max_zoom") {
			t.MaxZoom = -1
		}
		if !c.given(p + "seed_max_zoom") {
			t.SeedMaxZoom = -1
		}
	}
}

// WithLayers returns a copy of c with the layers of doc appended: doc is a
// YAML document with a top-level layers: list only (the layers the
// producer API publishes), decoded and checked like the file's own, with
// relative paths resolved against dir. Its problems name file.
func (c *Config) WithLayers(doc []byte, file, dir string) (*Config, error) {
	extra := *c
	extra.file, extra.dir = file, dir
	extra.pos, extra.nulls, extra.keyPos = map[string]Position{}, map[string]bool{}, map[string]Position{}
	extra.lines = strings.Split(string(doc), "\n")
	extra.Layers = nil
	problems, fatal := extra.decode(doc)
	if fatal {
		return nil, problems
	}
	extra.applyDefaults()
	names := map[string]int{}
	for i, l := range c.Layers {
		names[l.Name] = i
	}
	for _, g := range c.WMS.Groups {
		names[g.Name] = -1
	}
	for i := range extra.Layers {
		name := extra.Layers[i].Name
		if _, taken := names[name]; taken {
			problems = append(problems, extra.Problemf(fmt.Sprintf("layers[%d].name", i), "%q is already the name of a layer or group of %s", name, c.file))
			continue
		}
		// Paths of these layers are absolute from here on, so that the
		// merged configuration resolves them whatever its directory.
		l := &extra.Layers[i]
		for _, p := range []*string{&l.Data.Store, &l.Data.Raster, &l.Tiles.Cache} {
			*p = extra.Resolve(*p)
		}
		for j := range l.Styles {
			l.Styles[j] = extra.Resolve(l.Styles[j])
		}
		problems = append(problems, extra.validateLayer(i, map[string]int{})...)
	}
	out := *c
	out.Layers = append(slices.Clone(c.Layers), extra.Layers...)
	if len(problems) > 0 {
		return &out, problems
	}
	return &out, nil
}

// File is the configuration file as named to Load.
func (c *Config) File() string { return c.file }

// Resolve makes a path from the configuration relative to the
// configuration file's directory; absolute paths are kept.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

// TileMatrixSet finds a known set: built-in or loaded from
// tile_matrix_sets. Every call returns the same value for an identifier, as
// catalog.New requires of sets shared by layers.
func (c *Config) TileMatrixSet(id string) (*tiling.TileMatrixSet, bool) {
	s, ok := c.sets[id]
	return s, ok
}

// TileMatrixSetIDs lists the known sets, built-ins first.
func (c *Config) TileMatrixSetIDs() []string { return slices.Clone(c.setIDs) }

// Pos is the position of key in the file, or of its closest written
// ancestor when key itself was left out.
func (c *Config) Pos(key string) Position {
	for k := key; ; k = parent(k) {
		if p, ok := c.pos[k]; ok {
			return p
		}
		if k == "" {
			return Position{}
		}
	}
}

// Problemf makes a Problem about key, located in the file.
func (c *Config) Problemf(key, format string, args ...any) Problem {
	p := c.Pos(key)
	return Problem{File: c.file, Line: p.Line, Col: p.Col, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// problemAt reports a problem about key located at another path, such as
// the offending item of a list reported against the list.
func (c *Config) problemAt(at, key, format string, args ...any) Problem {
	return c.problemAtPos(c.Pos(at), key, format, args...)
}

func (c *Config) problemAtPos(pos Position, key, format string, args ...any) Problem {
	p := c.Problemf(key, format, args...)
	p.Line, p.Col = pos.Line, pos.Col
	return p
}

// validLayerName tells whether name fits in URL paths and XML identifiers
// unescaped: letters, digits, '_', '.' and '-'.
func validLayerName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.', c == '-':
		default:
			return false
		}
	}
	return true
}

func (c *Config) validate() Problems {
	var ps Problems
	ps = append(ps, c.validateServer()...)
	ps = append(ps, c.validateWMS()...)
	if c.WFS.MaxFeatures < 1 {
		ps = append(ps, c.Problemf("wfs.max_features", "%d is not a positive number of features", c.WFS.MaxFeatures))
	}
	if c.WFS.Timeout <= 0 {
		ps = append(ps, c.Problemf("wfs.timeout", "%s is not a positive duration", c.WFS.Timeout))
	}
	if c.Store != "" {
		if fi, err := os.Stat(c.Resolve(c.Store)); err != nil {
			ps = append(ps, unavailable(c.Problemf("store", "store %s: %v (create it with tuiles import)", c.Resolve(c.Store), unwrapPath(err))))
		} else if !fi.Mode().IsRegular() {
			ps = append(ps, c.Problemf("store", "store %s is not a regular file", c.Resolve(c.Store)))
		}
	}
	ps = append(ps, c.loadTileMatrixSets()...)
	names := map[string]int{}
	for i := range c.Layers {
		ps = append(ps, c.validateLayer(i, names)...)
	}
	return ps
}

func (c *Config) validateServer() Problems {
	var ps Problems
	s := c.Server
	for _, service := range []string{ServiceWMTS, ServiceTMS, ServiceXYZ, ServiceWMS, ServiceWFS} {
		key := "server.rate_limits." + service
		if !c.given(key) {
			continue
		}
		l := map[string]RateLimit{ServiceWMTS: s.RateLimits.WMTS, ServiceTMS: s.RateLimits.TMS, ServiceXYZ: s.RateLimits.XYZ, ServiceWMS: s.RateLimits.WMS, ServiceWFS: s.RateLimits.WFS}[service]
		if !(l.Rate > 0) {
			ps = append(ps, c.Problemf(key+".rate", "%g is not a positive number of requests per second", l.Rate))
		}
		if l.Burst < 0 {
			ps = append(ps, c.Problemf(key+".burst", "%d is negative", l.Burst))
		}
	}
	if s.MaxRenders < 0 {
		ps = append(ps, c.Problemf("server.max_renders", "%d is negative (0 means twice the CPUs)", s.MaxRenders))
	}
	if c.Producer.MaxUploadBytes < 0 {
		ps = append(ps, c.Problemf("producer.max_upload_bytes", "%d is negative (0 means 1 GiB)", c.Producer.MaxUploadBytes))
	}
	if s.SeedThreads < 0 {
		ps = append(ps, c.Problemf("server.seed_threads", "%d is negative (0 means 1)", s.SeedThreads))
	}
	if s.MaxBodyBytes < 0 {
		ps = append(ps, c.Problemf("server.max_body_bytes", "%d is negative (0 means %d)", s.MaxBodyBytes, DefaultMaxBodyBytes))
	}
	if s.RenderQueue < 0 {
		ps = append(ps, c.Problemf("server.render_queue", "%d is negative (0 means 64 times max_renders)", s.RenderQueue))
	}
	if _, port, err := net.SplitHostPort(s.Listen); err != nil || port == "" {
		ps = append(ps, c.Problemf("server.listen", "%q is not a listen address (want host:port or :port)", s.Listen))
	}
	if s.PublicURL != "" {
		if msg := checkBaseURL(s.PublicURL); msg != "" {
			ps = append(ps, c.Problemf("server.public_url", "%s", msg))
		}
	}
	for i, o := range s.CORSOrigins {
		key := fmt.Sprintf("server.cors_origins[%d]", i)
		switch {
		case o == "*":
			if len(s.CORSOrigins) > 1 {
				ps = append(ps, c.Problemf(key, `"*" allows every origin; list it alone`))
			}
		default:
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
				ps = append(ps, c.Problemf(key, `%q is not an origin (want "*" or scheme://host[:port], such as https://maps.example.org)`, o))
			}
		}
	}
	if u := c.Service.ProviderURL; u != "" {
		if msg := checkBaseURL(u); msg != "" {
			ps = append(ps, c.Problemf("service.provider_url", "%s", msg))
		}
	}
	if e := c.Service.ContactEmail; e != "" && (!strings.Contains(e, "@") || strings.ContainsAny(e, " <>\"")) {
		ps = append(ps, c.Problemf("service.contact_email", "%q is not an e-mail address", e))
	}
	return ps
}

func checkBaseURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an absolute http or https URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Sprintf("%q must not have a query or a fragment", s)
	}
	return ""
}

// loadTileMatrixSets makes the built-in sets available and loads the files
// listed.
func (c *Config) loadTileMatrixSets() Problems {
	var ps Problems
	c.sets = map[string]*tiling.TileMatrixSet{}
	c.setIDs = nil
	builtins := tiling.BuiltinNames()
	origin := map[string]string{}
	for _, id := range builtins {
		s, err := tiling.Builtin(id)
		if err != nil {
			ps = append(ps, Problem{File: c.file, Msg: fmt.Sprintf("built-in tile matrix set %s: %v", id, err)})
			continue
		}
		c.sets[id] = s
		c.setIDs = append(c.setIDs, id)
		origin[id] = "the built-in set"
	}
	listed := map[string]string{}
	for i, entry := range c.TileMatrixSets {
		key := fmt.Sprintf("tile_matrix_sets[%d]", i)
		if prev, dup := listed[entry]; dup {
			ps = append(ps, c.Problemf(key, "%q is already listed at %s", entry, prev))
			continue
		}
		listed[entry] = key
		if slices.Contains(builtins, entry) {
			continue
		}
		if entry == "" {
			ps = append(ps, c.Problemf(key, "empty entry (want a built-in set: %s, or the path of an OGC tile matrix set JSON file)", strings.Join(builtins, ", ")))
			continue
		}
		path := c.Resolve(entry)
		data, err := os.ReadFile(path)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			if !strings.ContainsAny(entry, `/\`) && !strings.HasSuffix(strings.ToLower(entry), ".json") {
				ps = append(ps, c.Problemf(key, "unknown tile matrix set %q: not a built-in set (%s) nor a readable file (%v)", entry, strings.Join(builtins, ", "), err))
			} else {
				ps = append(ps, c.Problemf(key, "tile matrix set file %s: %v", path, err))
			}
			continue
		}
		s, err := tiling.ParseTileMatrixSet(entry, data)
		if err != nil {
			ps = append(ps, c.Problemf(key, "%v", err))
			continue
		}
		if prev, dup := origin[s.ID]; dup {
			ps = append(ps, c.Problemf(key, "%s defines tile matrix set %q, which %s already defines; give it another id", entry, s.ID, prev))
			continue
		}
		origin[s.ID] = key
		c.sets[s.ID] = s
		c.setIDs = append(c.setIDs, s.ID)
	}
	return ps
}

func formatNames() string {
	var names []string
	for _, f := range tiling.Formats() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

func (c *Config) validateLayer(i int, names map[string]int) Problems {
	var ps Problems
	l := &c.Layers[i]
	p := fmt.Sprintf("layers[%d]", i)
	add := func(key, format string, args ...any) { ps = append(ps, c.Problemf(key, format, args...)) }

	switch {
	case l.Name == "":
		add(p+".name", "a layer needs a name")
	case !validLayerName(l.Name):
		add(p+".name", "%q is not a valid layer name (letters, digits, '_', '.' and '-' only)", l.Name)
	default:
		if prev, dup := names[l.Name]; dup {
			add(p+".name", "layer name %q is already used by layers[%d]", l.Name, prev)
		} else {
			names[l.Name] = i
		}
	}

	setKey := p + ".tiles.sets"
	seenSets := map[string]bool{}
	for j, id := range l.Tiles.Sets {
		at := fmt.Sprintf("%s[%d]", setKey, j)
		if _, ok := c.sets[id]; !ok {
			ps = append(ps, c.problemAt(at, setKey, "unknown tile matrix set %q (known: %s)", id, strings.Join(c.setIDs, ", ")))
		} else if seenSets[id] {
			ps = append(ps, c.problemAt(at, setKey, "tile matrix set %q is listed twice", id))
		}
		seenSets[id] = true
	}

	fmtKey := p + ".tiles.formats"
	seenFormats := map[string]bool{}
	for j, name := range l.Tiles.Formats {
		at := fmt.Sprintf("%s[%d]", fmtKey, j)
		if name == FormatPNG8 && l.Tiles.Rendered() {
			name = tiling.PNG.Name // paletted PNG: the same format to clients
		}
		f, ok := tiling.FormatByName(name)
		switch {
		case !ok:
			ps = append(ps, c.problemAt(at, fmtKey, "unknown format %q (known: %s)", name, formatNames()))
		case seenFormats[f.Name]:
			ps = append(ps, c.problemAt(at, fmtKey, "format %q is listed twice", name))
		case len(seenFormats) > 0:
			ps = append(ps, c.problemAt(at, fmtKey, "an MBTiles cache holds one format; list only it"))
		}
		if ok {
			seenFormats[f.Name] = true
		}
	}

	if l.Tiles.MaxAge < 0 {
		add(p+".tiles.max_age", "%s is negative", l.Tiles.MaxAge)
	}
	if l.Tiles.Missing != MissingEmpty && l.Tiles.Missing != MissingNotFound {
		add(p+".tiles.missing", "unknown value %q (want %s or %s)", l.Tiles.Missing, MissingEmpty, MissingNotFound)
	}
	if bg := p + ".tiles.background"; c.nulls[bg] && c.commentedOut(bg) {
		ps = append(ps, c.problemAtPos(c.keyPos[bg], bg, `an unquoted # starts a YAML comment, so the colour was not read: quote it, as in background: "#ffffff"`))
	}
	if c.given(p + ".tiles.bounds") {
		if msg := checkBounds(l.Tiles.Bounds); msg != "" {
			add(p+".tiles.bounds", "%s", msg)
		}
	}

	if k := l.AccessKeySHA256; k != "" {
		if _, err := hex.DecodeString(k); err != nil || len(k) != 64 {
			add(p+".access_key_sha256", "want the SHA-256 of the key in 64 hex digits (printf %%s KEY | sha256sum)")
		}
	}
	ps = append(ps, c.validateRendered(i)...)
	ps = append(ps, c.validateServices(i)...)
	for j, st := range l.Styles {
		at := fmt.Sprintf("%s.styles[%d]", p, j)
		if fi, err := os.Stat(c.Resolve(st)); err != nil {
			ps = append(ps, unavailable(c.problemAt(at, p+".styles", "style %s: %v", c.Resolve(st), unwrapPath(err))))
		} else if !fi.Mode().IsRegular() {
			ps = append(ps, c.problemAt(at, p+".styles", "style %s is not a regular file", c.Resolve(st)))
		}
	}
	if l.Data.Raster != "" {
		if _, err := os.Stat(c.Resolve(l.Data.Raster)); err != nil {
			ps = append(ps, unavailable(c.Problemf(p+".data.raster", "raster %s: %v", c.Resolve(l.Data.Raster), unwrapPath(err))))
		}
		if l.Data.MBTiles == "" && l.Data.Table == "" {
			return ps
		}
	}
	if l.Data.Store != "" {
		if l.Data.Table == "" {
			add(p+".data.store", "a store is for data.table: name the table too")
		} else if fi, err := os.Stat(c.Resolve(l.Data.Store)); err != nil {
			ps = append(ps, unavailable(c.Problemf(p+".data.store", "store %s: %v", c.Resolve(l.Data.Store), unwrapPath(err))))
		} else if !fi.Mode().IsRegular() {
			add(p+".data.store", "store %s is not a regular file", c.Resolve(l.Data.Store))
		}
	}
	if l.Data.Table != "" {
		if c.Store == "" && l.Data.Store == "" {
			add(p+".data.table", "a store table needs the top-level store: key naming the GeoPackage (or data.store)")
		}
		if l.Data.MBTiles == "" {
			return ps // a feature-only layer
		}
	}
	dataKey := p + ".data.mbtiles"
	switch {
	case l.Data.MBTiles == "":
		add(dataKey, "a layer needs data: give data.mbtiles (an MBTiles file) or data.table (a table of the store)")
	case strings.Contains(l.Data.MBTiles, SetPlaceholder) && len(l.Tiles.Sets) == 0:
		add(dataKey, "the path contains %s but tiles.sets lists no tile matrix set to expand it with", SetPlaceholder)
	case !strings.Contains(l.Data.MBTiles, SetPlaceholder) && len(l.Tiles.Sets) > 1:
		add(dataKey, "an MBTiles file holds one tile matrix set: write %s in the path to use one file per set of tiles.sets", SetPlaceholder)
	default:
		sets := l.Tiles.Sets
		if !strings.Contains(l.Data.MBTiles, SetPlaceholder) {
			sets = []string{""}
		}
		for _, id := range sets {
			if _, known := c.sets[id]; id != "" && !known {
				continue // already reported under tiles.sets
			}
			file := l.MBTilesFile(id)
			fi, err := os.Stat(c.Resolve(file))
			switch {
			case errors.Is(err, fs.ErrNotExist):
				ps = append(ps, unavailable(c.Problemf(dataKey, "MBTiles file %s does not exist", c.Resolve(file))))
			case err != nil:
				ps = append(ps, unavailable(c.Problemf(dataKey, "MBTiles file %s: %v", c.Resolve(file), err)))
			case !fi.Mode().IsRegular():
				add(dataKey, "MBTiles file %s is not a regular file", c.Resolve(file))
			}
		}
	}
	return ps
}

// validateServices checks layers[i].services against what its data can
// offer, and fills the default.
func (c *Config) validateServices(i int) Problems {
	var ps Problems
	l := &c.Layers[i]
	key := fmt.Sprintf("layers[%d].services", i)
	tiles := []string{ServiceWMTS, ServiceTMS, ServiceXYZ}
	var offered []string
	if l.Data.MBTiles != "" || l.Tiles.Rendered() {
		offered = append(offered, tiles...)
	}
	if l.Data.Table != "" {
		offered = append(offered, ServiceWFS, ServiceWMS)
	}
	if l.Data.Raster != "" {
		offered = append(offered, ServiceWMS)
	}
	if len(l.Services) == 0 {
		l.Services = slices.Clone(offered)
		return ps
	}
	seen := map[string]bool{}
	for j, s := range l.Services {
		at := fmt.Sprintf("%s[%d]", key, j)
		switch {
		case !slices.Contains(append(slices.Clone(tiles), ServiceWFS, ServiceWMS), s):
			ps = append(ps, c.problemAt(at, key, "unknown service %q (known: wmts, tms, xyz, wfs, wms)", s))
		case !slices.Contains(offered, s):
			ps = append(ps, c.problemAt(at, key, "service %q needs %s", s, serviceNeeds(s)))
		case seen[s]:
			ps = append(ps, c.problemAt(at, key, "service %q is listed twice", s))
		}
		seen[s] = true
	}
	return ps
}

// serviceNeeds names the data a service publishes.
func serviceNeeds(service string) string {
	switch service {
	case ServiceWFS:
		return "store table data"
	case ServiceWMS:
		return "store table or raster data"
	}
	return "tile cache data (data.mbtiles, or tiles.cache for rendered tiles)"
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// commentedOut tells whether the null value of key is followed by a
// comment on the key's line, as in background: #fff.
func (c *Config) commentedOut(key string) bool {
	p, ok := c.keyPos[key]
	if !ok || p.Line < 1 || p.Line > len(c.lines) || p.Col < 1 || p.Col > len(c.lines[p.Line-1]) {
		return false
	}
	_, rest, found := strings.Cut(c.lines[p.Line-1][p.Col-1:], ":")
	return found && strings.HasPrefix(strings.TrimSpace(rest), "#")
}

// checkBounds checks a west, south, east, north box in WGS84 degrees.
// Boxes across the antimeridian are not supported: west must be less than
// east.
func checkBounds(b []float64) string {
	if len(b) != 4 {
		return fmt.Sprintf("want 4 numbers [west, south, east, north], got %d", len(b))
	}
	for _, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "bounds must be finite numbers"
		}
	}
	w, s, e, n := b[0], b[1], b[2], b[3]
	if w < -180 || e > 180 || s < -90 || n > 90 || w > 180 || e < -180 || s > 90 || n < -90 {
		return fmt.Sprintf("[%g, %g, %g, %g] is outside [-180, -90, 180, 90] (bounds are WGS84 longitude and latitude)", w, s, e, n)
	}
	if w >= e || s >= n {
		return fmt.Sprintf("[%g, %g, %g, %g] is inverted or empty: want [west, south, east, north] with west < east and south < north", w, s, e, n)
	}
	return ""
}

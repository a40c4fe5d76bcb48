package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
	"github.com/twpayne/go-geom/encoding/wkbcommon"
	"golang.org/x/term"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/internal/gdal"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/store/filter"
)

// defaultStore is where tuiles import writes without --into: a file in the
// working directory, which a configuration names with `store:`.
const defaultStore = "store.gpkg"

// maxListedInvalid is how many invalid features import names on stderr.
const maxListedInvalid = 10

type importArgs struct {
	layer       string
	into        string
	sourceLayer string
	srs         string
	sourceSRS   string
	where       string
	invalid     string
	title       string
	replace     bool
	append      bool
	openOptions []string
	log         logFlags
}

func importFlags() (*flag.FlagSet, *importArgs) {
	a := &importArgs{}
	fs := newFlagSet("import", " SRC --layer NAME [flags]")
	fs.StringVar(&a.layer, "layer", "", "name of the layer (table) to write in the store (required)")
	fs.StringVar(&a.into, "into", defaultStore, "the store: a GeoPackage file, created if missing")
	fs.StringVar(&a.sourceLayer, "source-layer", "", "layer of SRC to read (required when SRC has several)")
	fs.StringVar(&a.srs, "srs", "", "reproject into this CRS, e.g. EPSG:2154 (default: keep the source's, or the layer's when appending)")
	fs.StringVar(&a.sourceSRS, "source-srs", "", "CRS of SRC when it has none (CSV) or declares a wrong one, e.g. EPSG:4326")
	fs.StringVar(&a.where, "where", "", "import only the features matching this OGR SQL attribute filter, e.g. \"pop > 1000\"")
	fs.StringVar(&a.invalid, "invalid", "import", "invalid geometries: import (and report them) or reject (import nothing)")
	fs.StringVar(&a.title, "title", "", "title of the layer (default: its name)")
	fs.BoolVar(&a.replace, "replace", false, "replace the layer if it exists")
	fs.BoolVar(&a.append, "append", false, "append to the layer if it exists (features get new ids)")
	fs.Func("oo", "GDAL open option KEY=VALUE for SRC (repeatable), e.g. -oo X_POSSIBLE_NAMES=lon", func(s string) error {
		if !strings.Contains(s, "=") {
			return fmt.Errorf("want KEY=VALUE, got %q", s)
		}
		a.openOptions = append(a.openOptions, s)
		return nil
	})
	a.log.register(fs, "warn")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: tuiles import SRC --layer NAME [flags]

Reads SRC (any vector format GDAL reads: GeoPackage, Shapefile, zipped
Shapefile, GeoJSON, CSV with a WKT column or lon/lat columns, KML, GML,
FlatGeobuf...) into one layer of the store, in one transaction: an error or
Ctrl-C leaves the store as it was.

Feature ids are kept (sources that number features from 0 - Shapefile, CSV,
GeoJSON without ids - are numbered from 1). A layer mixing single and multi
geometries (POLYGON and MULTIPOLYGON) is stored as the multi type. Curves
are approximated by lines. Z and M are kept.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, a
}

// runImport is `tuiles import`.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return importer{}.run(ctx, args, stdout, stderr)
}

// importer runs one import. Its fields are hooks for tests; the zero value
// is the command.
type importer struct {
	// onFeature, if set, is called after each feature written, with the
	// number written so far.
	onFeature func(n int64)
}

func (im importer) run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, a := importFlags()
	pos, code, ok := parseInterspersed(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	usage := func(format string, v ...any) int {
		fmt.Fprintf(stderr, "tuiles import: "+format+"\n", v...)
		fs.SetOutput(stderr)
		fs.Usage()
		return exitUsage
	}
	switch {
	case len(pos) == 0:
		return usage("SRC is required")
	case len(pos) > 1:
		return usage("one SRC at a time, got %q", pos)
	case a.layer == "":
		return usage("--layer is required")
	case a.replace && a.append:
		return usage("--replace and --append exclude each other")
	case a.invalid != "import" && a.invalid != "reject":
		return usage("--invalid %q: want import or reject", a.invalid)
	case a.into == "":
		return usage("--into is empty")
	}
	log, err := a.log.logger(stderr)
	if err != nil {
		return usage("%v", err)
	}
	job := &importJob{importer: im, args: a, src: pos[0], log: log, stderr: stderr}
	res, err := job.do(ctx)
	if err != nil {
		// Whatever failed first once the context is cancelled (GDAL's read,
		// SQLite's statement), the cause is the interruption.
		if ctx.Err() != nil {
			log.Debug("import interrupted", "err", err)
			fmt.Fprintf(stderr, "tuiles import: interrupted; %s unchanged\n", a.into)
		} else {
			fmt.Fprintf(stderr, "tuiles import: %v\n", err)
		}
		return exitError
	}
	if res.invalid > 0 {
		fmt.Fprintf(stderr, "tuiles import: %d invalid geometr%s imported; source FIDs: %s\n",
			res.invalid, plural2(res.invalid, "y", "ies"), listFIDs(res.invalidFIDs, res.invalid))
	}
	fmt.Fprintf(stdout, "imported %d feature%s into %s (%s), %d invalid\n",
		res.written, plural(int(res.written)), res.layer, a.into, res.invalid)
	return exitOK
}

func plural2(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func listFIDs(fids []int64, total int64) string {
	s := make([]string, len(fids))
	for i, f := range fids {
		s[i] = strconv.FormatInt(f, 10)
	}
	out := strings.Join(s, ", ")
	if total > int64(len(fids)) {
		out += ", ..."
	}
	return out
}

// parseInterspersed parses flags wherever they stand among the arguments
// (`tuiles import SRC --layer x` reads naturally, but the flag package
// stops at the first non-flag) and returns the others, in order. Help goes
// to stdout (exit 0), errors to stderr (exit 2), as parseFlags does.
func parseInterspersed(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (pos []string, code int, ok bool) {
	var msg bytes.Buffer
	fs.SetOutput(&msg)
	for {
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			_, _ = stdout.Write(msg.Bytes())
			return nil, exitOK, false
		case err != nil:
			_, _ = stderr.Write(msg.Bytes())
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, exitOK, true
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			// After "--" everything is an argument.
			return append(pos, rest...), exitOK, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// importJob is the state of one import.
type importJob struct {
	importer
	args   *importArgs
	src    string
	log    *slog.Logger
	stderr io.Writer
}

type importResult struct {
	layer       string
	written     int64
	invalid     int64
	invalidFIDs []int64
}

// do imports and returns what it did. Errors name the file and the
// problem; nothing is written unless everything is.
func (j *importJob) do(ctx context.Context) (res importResult, err error) {
	a := j.args
	ds, err := gdal.OpenVector(ctx, j.src, gdal.OpenOptions{Options: openOptions(j.src, a.openOptions), Logger: j.log})
	if err != nil {
		return res, err
	}
	defer ds.Close()
	info, err := pickLayer(ctx, ds, a.sourceLayer)
	if err != nil {
		return res, err
	}
	if info.GeometryType == "NONE" {
		return res, fmt.Errorf("%s: layer %q has no geometry column", j.src, info.Name)
	}
	if a.invalid == "reject" && !gdal.HasGEOS() {
		return res, errors.New("--invalid reject needs GDAL built with GEOS, to check geometries")
	}
	counts, err := ds.GeometryTypes(ctx, info.Name, gdal.ReadQuery{Where: a.where})
	if err != nil {
		return res, err
	}
	plan := planGeometry(info, counts)

	_, statErr := os.Stat(a.into)
	created := errors.Is(statErr, os.ErrNotExist)
	st, err := store.Open(ctx, a.into, store.Options{Logger: j.log})
	if err != nil {
		return res, err
	}
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = cerr
		}
		if err != nil && created {
			// The import made the file and failed: leave no empty store.
			for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
				_ = os.Remove(a.into + suffix)
			}
		}
	}()

	mode := store.Create
	switch {
	case a.replace:
		mode = store.Replace
	case a.append:
		mode = store.Append
	}
	var existing *store.Layer
	if mode == store.Append {
		if l, err := st.Layer(a.layer); err == nil {
			existing = &l
		}
	}
	cp, err := j.planCRS(info, existing)
	if err != nil {
		return res, err
	}
	if existing != nil {
		plan.fitInto(*existing)
	}
	shift, err := fidShift(ctx, ds, info.Name)
	if err != nil {
		return res, err
	}
	spec := j.layerSpec(info, plan, cp.target)
	w, err := st.Write(ctx, spec, mode)
	if errors.Is(err, store.ErrExists) {
		return res, fmt.Errorf("%s already has a layer %q: use --replace or --append", a.into, a.layer)
	}
	if err != nil {
		return res, fmt.Errorf("%s: %w", a.into, err)
	}
	defer w.Rollback() //nolint:errcheck // a no-op after Commit; the first error matters
	written := w.Layer()
	res.layer = written.Name
	order := propertyOrder(info.Fields, written.Fields)

	q := gdal.ReadQuery{
		Where:          a.where,
		Linear:         true,
		PromoteToMulti: plan.promote,
		Dim:            plan.dim(),
		Validate:       gdal.HasGEOS(),
	}
	if cp.reproject {
		q.SourceSRS, q.TargetSRS = cp.source, gdalCRS(cp.target)
	}
	bar := j.progress(plan.total)
	defer func() {
		if bar != nil {
			_ = bar.Exit()
			fmt.Fprintln(j.stderr)
		}
	}()

	// Appended features get new ids from the table, as theirs may be
	// taken.
	for f, err := range ds.Features(ctx, info.Name, q) {
		if err != nil {
			return res, err
		}
		if f.Validity == gdal.Invalid {
			if a.invalid == "reject" {
				return res, fmt.Errorf("%s: layer %q: feature %d has an invalid geometry; nothing imported (--invalid reject)", j.src, info.Name, f.FID)
			}
			res.invalid++
			if len(res.invalidFIDs) < maxListedInvalid {
				res.invalidFIDs = append(res.invalidFIDs, f.FID)
			}
		}
		sf, err := storeFeature(f, info.Fields, order)
		if err != nil {
			return res, fmt.Errorf("%s: layer %q: feature %d: %w", j.src, info.Name, f.FID, err)
		}
		switch {
		case mode == store.Append, f.FID < 0:
			sf.ID = 0
		default:
			sf.ID = f.FID + shift
		}
		if err := w.Add(ctx, sf); err != nil {
			return res, fmt.Errorf("%s: layer %q: %w", a.into, a.layer, err)
		}
		res.written++
		if bar != nil {
			_ = bar.Add(1)
		}
		if j.onFeature != nil {
			j.onFeature(res.written)
		}
	}
	if err := w.Commit(ctx); err != nil {
		return res, fmt.Errorf("%s: %w", a.into, err)
	}
	return res, nil
}

// fidShift is what source FIDs need added to become store ids: 1 for
// sources that number features from 0 (OGR's own numbering of Shapefile,
// FlatGeobuf, GeoJSON without ids...), since 0 is not a GeoPackage feature
// id; 0 otherwise, keeping ids. The first feature of the whole layer (not
// of the --where selection) tells, so that every import of one source
// numbers alike.
func fidShift(ctx context.Context, ds *gdal.Dataset, layer string) (int64, error) {
	for f, err := range ds.Features(ctx, layer, gdal.ReadQuery{}) {
		if err != nil {
			return 0, err
		}
		if f.FID == 0 {
			return 1, nil
		}
		break
	}
	return 0, nil
}

// progress returns a progress bar on stderr when it is a terminal, nil
// otherwise: logs and CI output stay free of control characters.
func (j *importJob) progress(total int64) *progressbar.ProgressBar {
	f, ok := j.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription("importing "+j.args.layer),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
	)
}

// openOptions adds to the operator's open options the ones that make a
// CSV file a layer: geometry from a WKT column or from lon/lat columns,
// typed columns. The operator's own -oo win.
func openOptions(src string, given []string) []string {
	ext := strings.ToLower(filepath.Ext(src))
	if ext != ".csv" && ext != ".tsv" {
		return given
	}
	out := slices.Clone(given)
	for _, o := range []string{
		"GEOM_POSSIBLE_NAMES=wkt,geom,geometry,the_geom",
		"X_POSSIBLE_NAMES=lon,lng,long,longitude",
		"Y_POSSIBLE_NAMES=lat,latitude",
		"KEEP_GEOM_COLUMNS=NO",
		"AUTODETECT_TYPE=YES",
	} {
		key := o[:strings.IndexByte(o, '=')+1]
		if !slices.ContainsFunc(given, func(g string) bool { return strings.HasPrefix(strings.ToUpper(g), key) }) {
			out = append(out, o)
		}
	}
	return out
}

// pickLayer describes the layer to import: the one named, or the only one.
func pickLayer(ctx context.Context, ds *gdal.Dataset, name string) (gdal.LayerInfo, error) {
	if name != "" {
		return ds.Layer(ctx, name)
	}
	ls, err := ds.Layers(ctx)
	if err != nil {
		return gdal.LayerInfo{}, err
	}
	switch len(ls) {
	case 0:
		return gdal.LayerInfo{}, fmt.Errorf("%s: no layers", ds.Path())
	case 1:
		return ls[0], nil
	}
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.Name
	}
	return gdal.LayerInfo{}, fmt.Errorf("%s has %d layers (%s): choose one with --source-layer", ds.Path(), len(ls), strings.Join(names, ", "))
}

// crsPlan is the CRS of the stored layer and how features get into it.
type crsPlan struct {
	target    crs.CRS
	reproject bool
	// source, when set, is the CRS GDAL reprojects from instead of the one
	// SRC declares.
	source string
}

// planCRS decides the CRS of the stored layer and whether features must
// be reprojected into it: --srs if given, else the layer's when appending
// to one, else the source's (--source-srs, or the one SRC declares).
func (j *importJob) planCRS(info gdal.LayerInfo, existing *store.Layer) (crsPlan, error) {
	a := j.args
	var (
		p      crsPlan
		source crs.CRS
		known  bool
		err    error
	)
	switch {
	case a.sourceSRS != "":
		if source, err = crs.Parse(a.sourceSRS); err != nil {
			return p, fmt.Errorf("--source-srs: %w", err)
		}
		source, known = normalCRS(source), true
		p.source = gdalCRS(source)
	case info.SRS != nil:
		s := *info.SRS
		if s.Horizontal != nil {
			// The store keeps Z as a value with the horizontal CRS: a 3D
			// EPSG:4979 (GeoJSON with heights) is stored as EPSG:4326,
			// and reprojected from it, Z untouched.
			s = *s.Horizontal
			if s.Identified() {
				p.source = s.Authority + ":" + s.Code
			}
		}
		if s.Identified() {
			source, known = normalCRS(crs.CRS{Authority: s.Authority, Code: s.Code}), true
		}
	}
	switch {
	case a.srs != "":
		if p.target, err = crs.Parse(a.srs); err != nil {
			return p, fmt.Errorf("--srs: %w", err)
		}
		p.target = normalCRS(p.target)
	case existing != nil && existing.CRS != (crs.CRS{}):
		p.target = normalCRS(existing.CRS)
	case known:
		p.target = source
		return p, nil
	case info.SRS == nil:
		return p, fmt.Errorf("%s: layer %q has no CRS: name it with --source-srs (e.g. --source-srs EPSG:4326)", j.src, info.Name)
	default:
		return p, fmt.Errorf("%s: layer %q has a CRS with no EPSG code (%s): name it with --source-srs, or reproject with --srs", j.src, info.Name, abbreviate(info.SRS.WKT, 120))
	}
	if info.SRS == nil && a.sourceSRS == "" {
		return p, fmt.Errorf("%s: layer %q has no CRS to reproject from to %s: name it with --source-srs", j.src, info.Name, p.target)
	}
	p.reproject = !known || source != p.target
	return p, nil
}

// normalCRS writes WGS 84 longitude/latitude one way: the store keeps
// OGC:CRS84 as EPSG:4326 (x is longitude in both, as everywhere inside
// tuiles).
func normalCRS(c crs.CRS) crs.CRS {
	if c == crs.CRS84 {
		return crs.WGS84
	}
	return c
}

// gdalCRS spells a CRS identifier for OSRSetFromUserInput.
func gdalCRS(c crs.CRS) string {
	if c == crs.CRS84 {
		return "OGC:CRS84"
	}
	return c.Authority + ":" + c.Code
}

func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// geometryPlan is what the stored layer declares and how features are
// converted to fit it.
type geometryPlan struct {
	typ        string
	hasZ, hasM bool
	promote    bool
	total      int64 // features to read
}

// linearType names the type a geometry has after ReadQuery.Linear.
func linearType(t string) string {
	switch t {
	case "CIRCULARSTRING", "COMPOUNDCURVE", "CURVE":
		return "LINESTRING"
	case "CURVEPOLYGON", "TRIANGLE", "SURFACE":
		return "POLYGON"
	case "MULTICURVE":
		return "MULTILINESTRING"
	case "MULTISURFACE", "TIN", "POLYHEDRALSURFACE":
		return "MULTIPOLYGON"
	}
	return t
}

var multiOf = map[string]string{"POINT": "MULTIPOINT", "LINESTRING": "MULTILINESTRING", "POLYGON": "MULTIPOLYGON"}

// planGeometry chooses the declared geometry type from what the features
// are (counts), not only from what the source declares: a Shapefile
// declares POLYGON for polygons and multipolygons alike. One type is kept
// as is; a single type and its multi type (or a source declaring the multi
// type) become the multi type, singles promoted, since GeoPackage readers
// trust the declaration; anything else is GEOMETRY. The layout has Z (M)
// if any geometry has.
func planGeometry(info gdal.LayerInfo, counts []gdal.GeometryCount) geometryPlan {
	p := geometryPlan{}
	types := map[string]bool{}
	for _, c := range counts {
		p.total += c.Count
		if c.Type == "NONE" {
			continue
		}
		types[linearType(c.Type)] = true
		p.hasZ = p.hasZ || c.HasZ
		p.hasM = p.hasM || c.HasM
	}
	declared := linearType(info.GeometryType)
	if len(types) == 0 {
		p.hasZ, p.hasM = info.HasZ, info.HasM
	}
	if declared != "GEOMETRY" && declared != "NONE" {
		types[declared] = true
	}
	switch len(types) {
	case 0:
		p.typ = "GEOMETRY"
	case 1:
		for t := range types {
			p.typ = t
		}
	case 2:
		p.typ = "GEOMETRY"
		for single, multi := range multiOf {
			if types[single] && types[multi] {
				p.typ, p.promote = multi, true
			}
		}
	default:
		p.typ = "GEOMETRY"
	}
	return p
}

// fitInto adapts the plan to an existing layer being appended to: its
// layout wins (Z or M added as 0 or dropped), and its multi type promotes
// single geometries.
func (p *geometryPlan) fitInto(l store.Layer) {
	p.hasZ = l.Layout == geom.XYZ || l.Layout == geom.XYZM
	p.hasM = l.Layout == geom.XYM || l.Layout == geom.XYZM
	switch {
	case l.GeometryType == "GEOMETRY":
	case multiOf[p.typ] == l.GeometryType:
		p.typ, p.promote = l.GeometryType, true
	}
}

func (p geometryPlan) layout() geom.Layout {
	switch {
	case p.hasZ && p.hasM:
		return geom.XYZM
	case p.hasZ:
		return geom.XYZ
	case p.hasM:
		return geom.XYM
	}
	return geom.XY
}

// dim makes every geometry's dimension the layout's: the store wants one
// layout per layer.
func (p geometryPlan) dim() gdal.Dim {
	switch p.layout() {
	case geom.XYZ:
		return gdal.DimXYZ
	case geom.XYM:
		return gdal.DimXYM
	case geom.XYZM:
		return gdal.DimXYZM
	}
	return gdal.DimXY
}

// layerSpec describes the layer to write. The id and geometry columns keep
// the source's names when it has them (GeoPackage: fid, geom), and avoid
// the names of attribute fields.
func (j *importJob) layerSpec(info gdal.LayerInfo, p geometryPlan, target crs.CRS) store.Layer {
	taken := map[string]bool{}
	for _, f := range info.Fields {
		taken[strings.ToLower(f.Name)] = true
	}
	pick := func(candidates ...string) string {
		for _, c := range candidates {
			if c != "" && !taken[strings.ToLower(c)] {
				taken[strings.ToLower(c)] = true
				return c
			}
		}
		base := candidates[len(candidates)-1]
		for i := 1; ; i++ {
			if c := base + "_" + strconv.Itoa(i); !taken[strings.ToLower(c)] {
				taken[strings.ToLower(c)] = true
				return c
			}
		}
	}
	spec := store.Layer{
		Name:           j.args.layer,
		Title:          j.args.title,
		IDColumn:       pick(info.FIDColumn, "fid", "ogc_fid"),
		GeometryColumn: pick(info.GeometryColumn, "geom", "geometry"),
		GeometryType:   p.typ,
		Layout:         p.layout(),
		CRS:            target,
	}
	for _, f := range info.Fields {
		spec.Fields = append(spec.Fields, store.Field{Name: f.Name, Kind: fieldKind(f.Type), Nullable: f.Nullable})
	}
	return spec
}

// fieldKind maps OGR field types to the store's kinds. What the store has
// no kind for is kept as text: times of day as "15:04:05", lists as JSON
// arrays.
func fieldKind(t gdal.FieldType) filter.Kind {
	switch t {
	case gdal.FieldInteger, gdal.FieldInteger64:
		return filter.Integer
	case gdal.FieldReal:
		return filter.Real
	case gdal.FieldBoolean:
		return filter.Boolean
	case gdal.FieldDate:
		return filter.Date
	case gdal.FieldDateTime:
		return filter.DateTime
	case gdal.FieldBinary:
		return filter.Binary
	}
	return filter.String
}

// propertyOrder maps the fields of the layer being written (the table's
// order when appending) to the source's field indexes; -1 for a table
// field the source lacks.
func propertyOrder(source []gdal.FieldInfo, table []store.Field) []int {
	order := make([]int, len(table))
	for i, f := range table {
		order[i] = slices.IndexFunc(source, func(s gdal.FieldInfo) bool { return strings.EqualFold(s.Name, f.Name) })
	}
	return order
}

// storeFeature converts a feature read by GDAL into the store's form, its
// properties in the order propertyOrder gave.
func storeFeature(f gdal.Feature, fields []gdal.FieldInfo, order []int) (store.Feature, error) {
	out := store.Feature{Properties: make([]any, len(order))}
	for i, src := range order {
		if src < 0 {
			continue
		}
		switch v := f.Values[src].(type) {
		case []int64, []float64, []string:
			b, err := json.Marshal(v)
			if err != nil {
				return store.Feature{}, fmt.Errorf("field %q: %w", fields[src].Name, err)
			}
			out.Properties[i] = string(b)
		default:
			out.Properties[i] = v
		}
	}
	if f.WKB != nil {
		g, err := wkb.Unmarshal(f.WKB, wkbcommon.WKBOptionEmptyPointHandling(wkbcommon.EmptyPointHandlingNaN))
		if err != nil {
			return store.Feature{}, fmt.Errorf("geometry: %w", err)
		}
		out.Geometry = g
	}
	return out, nil
}

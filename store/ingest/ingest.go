// Package ingest imports a vector source that GDAL reads (GeoPackage,
// Shapefile, zipped Shapefile, GeoJSON, CSV, FlatGeobuf...) into one layer
// of the store, in one transaction: the engine of `tuiles import` and of
// the producer API's upload jobs.
package ingest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
	"github.com/twpayne/go-geom/encoding/wkbcommon"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/internal/gdal"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/store/filter"
)

// MaxListedInvalid is how many invalid features a Result names.
const MaxListedInvalid = 10

// Options describe one import.
type Options struct {
	// Source is the file (or GDAL connection string) to read; SourceLayer
	// the layer of it, required when it has several; OpenOptions GDAL
	// open options (KEY=VALUE), to which CSV sources get the ones that
	// find their geometry. Where is an OGR SQL attribute filter.
	Source      string
	SourceLayer string
	OpenOptions []string
	Where       string
	// Into is the store, a GeoPackage file created when missing; Layer and
	// Title name the layer written, in Mode.
	Into  string
	Layer string
	Title string
	Mode  store.WriteMode
	// SRS reprojects into a CRS (default: keep the source's, or the
	// layer's when appending); SourceSRS names the source's when it has
	// none or a wrong one.
	SRS, SourceSRS string
	// RejectInvalid imports nothing when a geometry is invalid; otherwise
	// invalid geometries are imported and reported.
	RejectInvalid bool
	// Hints name the settings above in error messages, the way the caller
	// spells them (command-line flags by default).
	Hints  Hints
	Logger *slog.Logger
	// Progress, when set, is called after each feature written, with the
	// number written so far and the number to read.
	Progress func(done, total int64)
}

// Hints are the caller's names for settings, quoted in error messages so
// that they say what to change.
type Hints struct {
	SourceLayer, SourceSRS, SRS string
	// Exists says what to do when the layer exists; Reject names the
	// setting that rejects invalid geometries.
	Exists, Reject string
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	h := &o.Hints
	h.SourceLayer = cmp.Or(h.SourceLayer, "--source-layer")
	h.SourceSRS = cmp.Or(h.SourceSRS, "--source-srs")
	h.SRS = cmp.Or(h.SRS, "--srs")
	h.Exists = cmp.Or(h.Exists, "use --replace or --append")
	h.Reject = cmp.Or(h.Reject, "--invalid reject")
}

// Result is what an import did.
type Result struct {
	// Layer is the layer written.
	Layer   string
	Written int64
	// Invalid counts the invalid geometries imported; InvalidFIDs names
	// the source ids of the first MaxListedInvalid of them.
	Invalid     int64
	InvalidFIDs []int64
}

// job is the state of one import.
type job struct {
	o Options
}

// Run imports o.Source into o.Into and returns what it did. Errors name
// the file and the problem; nothing is written unless everything is, and
// a store file the import created is removed when it fails.
func Run(ctx context.Context, o Options) (res Result, err error) {
	o.defaults()
	j := &job{o: o}
	ds, err := gdal.OpenVector(ctx, o.Source, gdal.OpenOptions{Options: openOptions(o.Source, o.OpenOptions), Logger: o.Logger})
	if err != nil {
		return res, err
	}
	defer ds.Close()
	info, err := pickLayer(ctx, ds, o.SourceLayer, o.Hints.SourceLayer)
	if err != nil {
		return res, err
	}
	if info.GeometryType == "NONE" {
		return res, fmt.Errorf("%s: layer %q has no geometry column", o.Source, info.Name)
	}
	if o.RejectInvalid && !gdal.HasGEOS() {
		return res, errors.New("rejecting invalid geometries needs GDAL built with GEOS, to check them")
	}
	counts, err := ds.GeometryTypes(ctx, info.Name, gdal.ReadQuery{Where: o.Where})
	if err != nil {
		return res, err
	}
	plan := planGeometry(info, counts)

	_, statErr := os.Stat(o.Into)
	created := errors.Is(statErr, os.ErrNotExist)
	st, err := store.Open(ctx, o.Into, store.Options{Logger: o.Logger})
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
				_ = os.Remove(o.Into + suffix)
			}
		}
	}()

	mode := o.Mode
	var existing *store.Layer
	if mode == store.Append {
		if l, err := st.Layer(o.Layer); err == nil {
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
		return res, fmt.Errorf("%s already has a layer %q: %s", o.Into, o.Layer, o.Hints.Exists)
	}
	if err != nil {
		return res, fmt.Errorf("%s: %w", o.Into, err)
	}
	defer w.Rollback() //nolint:errcheck // a no-op after Commit; the first error matters
	written := w.Layer()
	res.Layer = written.Name
	order := propertyOrder(info.Fields, written.Fields)

	q := gdal.ReadQuery{
		Where:          o.Where,
		Linear:         true,
		PromoteToMulti: plan.promote,
		Dim:            plan.dim(),
		Validate:       gdal.HasGEOS(),
	}
	if cp.reproject {
		q.SourceSRS, q.TargetSRS = cp.source, gdalCRS(cp.target)
	}

	// Appended features get new ids from the table, as theirs may be
	// taken.
	for f, err := range ds.Features(ctx, info.Name, q) {
		if err != nil {
			return res, err
		}
		if f.Validity == gdal.Invalid {
			if o.RejectInvalid {
				return res, fmt.Errorf("%s: layer %q: feature %d has an invalid geometry; nothing imported (%s)", o.Source, info.Name, f.FID, o.Hints.Reject)
			}
			res.Invalid++
			if len(res.InvalidFIDs) < MaxListedInvalid {
				res.InvalidFIDs = append(res.InvalidFIDs, f.FID)
			}
		}
		sf, err := storeFeature(f, info.Fields, order)
		if err != nil {
			return res, fmt.Errorf("%s: layer %q: feature %d: %w", o.Source, info.Name, f.FID, err)
		}
		switch {
		case mode == store.Append, f.FID < 0:
			sf.ID = 0
		default:
			sf.ID = f.FID + shift
		}
		if err := w.Add(ctx, sf); err != nil {
			return res, fmt.Errorf("%s: layer %q: %w", o.Into, o.Layer, err)
		}
		res.Written++
		if o.Progress != nil {
			o.Progress(res.Written, plan.total)
		}
	}
	if err := w.Commit(ctx); err != nil {
		return res, fmt.Errorf("%s: %w", o.Into, err)
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
func pickLayer(ctx context.Context, ds *gdal.Dataset, name, hint string) (gdal.LayerInfo, error) {
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
	return gdal.LayerInfo{}, fmt.Errorf("%s has %d layers (%s): choose one with %s", ds.Path(), len(ls), strings.Join(names, ", "), hint)
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
func (j *job) planCRS(info gdal.LayerInfo, existing *store.Layer) (crsPlan, error) {
	o, h := j.o, j.o.Hints
	var (
		p      crsPlan
		source crs.CRS
		known  bool
		err    error
	)
	switch {
	case o.SourceSRS != "":
		if source, err = crs.Parse(o.SourceSRS); err != nil {
			return p, fmt.Errorf("%s: %w", h.SourceSRS, err)
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
	case o.SRS != "":
		if p.target, err = crs.Parse(o.SRS); err != nil {
			return p, fmt.Errorf("%s: %w", h.SRS, err)
		}
		p.target = normalCRS(p.target)
	case existing != nil && existing.CRS != (crs.CRS{}):
		p.target = normalCRS(existing.CRS)
	case known:
		p.target = source
		return p, nil
	case info.SRS == nil:
		return p, fmt.Errorf("%s: layer %q has no CRS: name it with %s (e.g. %s EPSG:4326)", o.Source, info.Name, h.SourceSRS, h.SourceSRS)
	default:
		return p, fmt.Errorf("%s: layer %q has a CRS with no EPSG code (%s): name it with %s, or reproject with %s", o.Source, info.Name, abbreviate(info.SRS.WKT, 120), h.SourceSRS, h.SRS)
	}
	if info.SRS == nil && o.SourceSRS == "" {
		return p, fmt.Errorf("%s: layer %q has no CRS to reproject from to %s: name it with %s", o.Source, info.Name, p.target, h.SourceSRS)
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

// multiOf names the multi type of a single geometry type, "" for others.
func multiOf(t string) string {
	switch t {
	case "POINT", "LINESTRING", "POLYGON":
		return "MULTI" + t
	}
	return ""
}

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
		for single := range types {
			if multi := multiOf(single); multi != "" && types[multi] {
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
	case multiOf(p.typ) == l.GeometryType:
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
func (j *job) layerSpec(info gdal.LayerInfo, p geometryPlan, target crs.CRS) store.Layer {
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
		Name:           j.o.Layer,
		Title:          j.o.Title,
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

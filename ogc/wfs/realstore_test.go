package wfs

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/internal/xmlvalid"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/store/filter"
)

// TestRealStore runs the WFS on the GeoPackage store, so that what the
// handler asks (normalised filters, the id tiebreak, NOT NULL for
// GetPropertyValue, projections) is checked against the real thing: the
// same features through BBOX, FILTER, RESOURCEID and GetFeatureById.
func TestRealStore(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "s.gpkg"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lw, err := st.Write(ctx, store.Layer{Name: "places", GeometryColumn: "geom", GeometryType: "POINT", Layout: geom.XY, CRS: crs.WGS84,
		Fields: []store.Field{{Name: "name", Kind: filter.String}, {Name: "pop", Kind: filter.Integer, Nullable: true}}}, store.Create)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []struct {
		name string
		pop  any
		x, y float64
	}{{"Paris", int64(2100000), 2.35, 48.85}, {"Lyon", int64(520000), 4.83, 45.76}, {"Brest", nil, -4.49, 48.39}, {"Nice", int64(340000), 7.26, 43.7}} {
		err := lw.Add(ctx, store.Feature{ID: int64(i + 1), Geometry: geom.NewPointFlat(geom.XY, []float64{p.x, p.y}), Properties: []any{p.name, p.pop}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := lw.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	h := NewHandler(Options{Catalog: func(context.Context) ([]FeatureType, catalog.Service) {
		return []FeatureType{{Name: "places", Source: st, Table: "places"}}, catalog.Service{}
	}})
	dft := string(mustOK(t, get(t, h, v2+"REQUEST=DescribeFeatureType&TYPENAMES=places")))
	names := func(q string) string {
		t.Helper()
		body := mustOK(t, get(t, h, q))
		xmlvalid.Validate(t, body, "wfs/2.0/wfs.xsd", dft)
		var out []string
		for _, m := range regexp.MustCompile(`<tuiles:name>([^<]*)<`).FindAllStringSubmatch(string(body), -1) {
			out = append(out, m[1])
		}
		return strings.Join(out, ",")
	}
	fes := func(inner string) string {
		return escape(`<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2">` + inner + `</fes:Filter>`)
	}
	for _, tc := range []struct{ name, query, want string }{
		{"all, by id", gf + "TYPENAMES=places", "Paris,Lyon,Brest,Nice"},
		{"sorted", gf + "TYPENAMES=places&SORTBY=name", "Brest,Lyon,Nice,Paris"},
		{"paged", gf + "TYPENAMES=places&SORTBY=name+DESC&COUNT=2&STARTINDEX=1", "Nice,Lyon"},
		{"bbox lat/lon", gf + "TYPENAMES=places&BBOX=48,2,49,3", "Paris"},
		{"bbox lon/lat", gf + "TYPENAMES=places&BBOX=2,48,3,49,EPSG:4326", "Paris"},
		{"filter bbox", gf + "TYPENAMES=places&FILTER=" + fes(`<fes:BBOX><fes:ValueReference>tuiles:geom</fes:ValueReference><gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326"><gml:lowerCorner>48 2</gml:lowerCorner><gml:upperCorner>49 3</gml:upperCorner></gml:Envelope></fes:BBOX>`), "Paris"},
		{"filter equal", gf + "TYPENAMES=places&FILTER=" + fes(`<fes:PropertyIsEqualTo><fes:ValueReference>tuiles:name</fes:ValueReference><fes:Literal>Paris</fes:Literal></fes:PropertyIsEqualTo>`), "Paris"},
		{"filter resource id", gf + "TYPENAMES=places&FILTER=" + fes(`<fes:ResourceId rid="places.1"/>`), "Paris"},
		{"filter null", gf + "TYPENAMES=places&FILTER=" + fes(`<fes:PropertyIsNull><fes:ValueReference>places/pop</fes:ValueReference></fes:PropertyIsNull>`), "Brest"},
		{"nested resource id of another type", gf + "TYPENAMES=places&FILTER=" + fes(`<fes:Or><fes:ResourceId rid="roads.1"/><fes:PropertyIsGreaterThan><fes:ValueReference>pop</fes:ValueReference><fes:Literal>1000000</fes:Literal></fes:PropertyIsGreaterThan></fes:Or>`), "Paris"},
		{"resourceid", gf + "RESOURCEID=places.1", "Paris"},
		{"projection", gf + "TYPENAMES=places&PROPERTYNAME=name&RESOURCEID=places.2", "Lyon"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(tc.query); got != tc.want {
				t.Errorf("%s, want %s", got, tc.want)
			}
		})
	}
	body := string(mustOK(t, get(t, h, gf+"STOREDQUERY_ID="+escape(getFeatureByID)+"&ID=places.1")))
	if !strings.Contains(body, "<tuiles:name>Paris</tuiles:name>") {
		t.Errorf("GetFeatureById: %s", body)
	}
	checkException(t, get(t, h, gf+"STOREDQUERY_ID="+escape(getFeatureByID)+"&ID=places.99"), 404, "NotFound", "ID")
	body = string(mustOK(t, get(t, h, v2+"REQUEST=GetPropertyValue&TYPENAMES=places&VALUEREFERENCE=pop")))
	if !strings.Contains(body, `numberMatched="3" numberReturned="3"`) {
		t.Errorf("GetPropertyValue: %s", body)
	}
	body = string(mustOK(t, get(t, h, v2+"REQUEST=GetPropertyValue&TYPENAMES=places&VALUEREFERENCE=geom&COUNT=1")))
	if !strings.Contains(body, `numberMatched="4" numberReturned="1"`) || !strings.Contains(body, "<gml:Point") {
		t.Errorf("GetPropertyValue of the geometry: %s", body)
	}
}

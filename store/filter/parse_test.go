package filter

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/tuiles/tuiles/internal/crs"
)

const (
	fesOpen = `<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2">`
	fesEnd  = `</fes:Filter>`
	ogcOpen = `<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml">`
	ogcEnd  = `</ogc:Filter>`
)

func fes(body string) string { return fesOpen + body + fesEnd }
func ogc(body string) string { return ogcOpen + body + ogcEnd }

var (
	epsg4326 = crs.WGS84
	epsg2154 = crs.Lambert93
)

func TestParseFES20(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want Filter
	}{
		{"equal", fes(`<fes:PropertyIsEqualTo><fes:ValueReference>name</fes:ValueReference><fes:Literal>Paris</fes:Literal></fes:PropertyIsEqualTo>`),
			Compare{Op: EqualTo, Property: "name", Literal: "Paris", MatchCase: true}},
		{"not equal without case", fes(`<fes:PropertyIsNotEqualTo matchCase="false" matchAction="Any"><fes:ValueReference>name</fes:ValueReference><fes:Literal>paris</fes:Literal></fes:PropertyIsNotEqualTo>`),
			Compare{Op: NotEqualTo, Property: "name", Literal: "paris", MatchCase: false}},
		{"literal first is mirrored", fes(`<fes:PropertyIsLessThan><fes:Literal>100</fes:Literal><fes:ValueReference>pop</fes:ValueReference></fes:PropertyIsLessThan>`),
			Compare{Op: GreaterThan, Property: "pop", Literal: "100", MatchCase: true}},
		{"greater or equal", fes(`<fes:PropertyIsGreaterThanOrEqualTo><fes:ValueReference>pop</fes:ValueReference><fes:Literal>5</fes:Literal></fes:PropertyIsGreaterThanOrEqualTo>`),
			Compare{Op: GreaterThanOrEqualTo, Property: "pop", Literal: "5", MatchCase: true}},
		{"literal text is kept as is", fes(`<fes:PropertyIsEqualTo><fes:ValueReference> ns:name </fes:ValueReference><fes:Literal> a &amp; b <![CDATA[<c>]]></fes:Literal></fes:PropertyIsEqualTo>`),
			Compare{Op: EqualTo, Property: "ns:name", Literal: " a & b <c>", MatchCase: true}},
		{"like", fes(`<fes:PropertyIsLike wildCard="*" singleChar="." escapeChar="\" matchCase="false"><fes:ValueReference>name</fes:ValueReference><fes:Literal>Par*</fes:Literal></fes:PropertyIsLike>`),
			Like{Property: "name", Pattern: "Par*", WildCard: "*", SingleChar: ".", Escape: `\`, MatchCase: false}},
		{"null", fes(`<fes:PropertyIsNull><fes:ValueReference>name</fes:ValueReference></fes:PropertyIsNull>`), IsNull{Property: "name"}},
		{"nil", fes(`<fes:PropertyIsNil nilReason="missing"><fes:ValueReference>name</fes:ValueReference></fes:PropertyIsNil>`), IsNull{Property: "name"}},
		{"between", fes(`<fes:PropertyIsBetween><fes:ValueReference>pop</fes:ValueReference><fes:LowerBoundary><fes:Literal>1</fes:Literal></fes:LowerBoundary><fes:UpperBoundary><fes:Literal>9</fes:Literal></fes:UpperBoundary></fes:PropertyIsBetween>`),
			Between{Property: "pop", Lower: "1", Upper: "9"}},
		{"logic", fes(`<fes:And>
			<fes:Or>
				<fes:PropertyIsNull><fes:ValueReference>a</fes:ValueReference></fes:PropertyIsNull>
				<fes:PropertyIsNull><fes:ValueReference>b</fes:ValueReference></fes:PropertyIsNull>
			</fes:Or>
			<fes:Not><fes:PropertyIsNull><fes:ValueReference>c</fes:ValueReference></fes:PropertyIsNull></fes:Not>
			<!-- a comment -->
			<fes:PropertyIsNull><fes:ValueReference>d</fes:ValueReference></fes:PropertyIsNull>
		</fes:And>`),
			And{Filters: []Filter{
				Or{Filters: []Filter{IsNull{Property: "a"}, IsNull{Property: "b"}}},
				Not{Filter: IsNull{Property: "c"}},
				IsNull{Property: "d"},
			}}},
		{"bbox urn is latitude first", fes(`<fes:BBOX><fes:ValueReference>geom</fes:ValueReference>
			<gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326"><gml:lowerCorner>43 1</gml:lowerCorner><gml:upperCorner>49 3</gml:upperCorner></gml:Envelope></fes:BBOX>`),
			Spatial{Op: BBOX, Property: "geom", Geometry: orb.Bound{Min: orb.Point{1, 43}, Max: orb.Point{3, 49}}, CRS: epsg4326}},
		{"bbox EPSG:4326 is longitude first", fes(`<fes:BBOX>
			<gml:Envelope srsName="EPSG:4326"><gml:lowerCorner>1 43</gml:lowerCorner><gml:upperCorner>3 49</gml:upperCorner></gml:Envelope></fes:BBOX>`),
			Spatial{Op: BBOX, Geometry: orb.Bound{Min: orb.Point{1, 43}, Max: orb.Point{3, 49}}, CRS: epsg4326}},
		{"bbox URI is latitude first", fes(`<fes:BBOX>
			<gml:Envelope srsName="http://www.opengis.net/def/crs/EPSG/0/4326"><gml:lowerCorner>43 1</gml:lowerCorner><gml:upperCorner>49 3</gml:upperCorner></gml:Envelope></fes:BBOX>`),
			Spatial{Op: BBOX, Geometry: orb.Bound{Min: orb.Point{1, 43}, Max: orb.Point{3, 49}}, CRS: epsg4326}},
		{"bbox CRS84", fes(`<fes:BBOX>
			<gml:Envelope srsName="urn:ogc:def:crs:OGC:1.3:CRS84"><gml:lowerCorner>1 43</gml:lowerCorner><gml:upperCorner>3 49</gml:upperCorner></gml:Envelope></fes:BBOX>`),
			Spatial{Op: BBOX, Geometry: orb.Bound{Min: orb.Point{1, 43}, Max: orb.Point{3, 49}}, CRS: crs.CRS84}},
		{"bbox northing-first projected", fes(`<fes:BBOX>
			<gml:Envelope srsName="urn:ogc:def:crs:EPSG::3035"><gml:lowerCorner>2000000 3000000</gml:lowerCorner><gml:upperCorner>2100000 3100000</gml:upperCorner></gml:Envelope></fes:BBOX>`),
			Spatial{Op: BBOX, Geometry: orb.Bound{Min: orb.Point{3000000, 2000000}, Max: orb.Point{3100000, 2100000}}, CRS: crs.CRS{Authority: "EPSG", Code: "3035"}}},
		{"bbox around a polygon", fes(`<fes:BBOX><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>0 0 4 0 4 2 0 0</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></fes:BBOX>`),
			Spatial{Op: BBOX, Geometry: orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{4, 2}}}},
		{"intersects polygon with hole", fes(`<fes:Intersects><fes:ValueReference>geom</fes:ValueReference>
			<gml:Polygon gml:id="p1" srsName="urn:ogc:def:crs:EPSG::4326">
				<gml:exterior><gml:LinearRing><gml:posList srsDimension="2">0 0 0 10 10 10 10 0 0 0</gml:posList></gml:LinearRing></gml:exterior>
				<gml:interior><gml:LinearRing><gml:pos>2 2</gml:pos><gml:pos>2 3</gml:pos><gml:pos>3 3</gml:pos><gml:pos>2 2</gml:pos></gml:LinearRing></gml:interior>
			</gml:Polygon></fes:Intersects>`),
			Spatial{Op: Intersects, Property: "geom", CRS: epsg4326, Geometry: orb.Polygon{
				{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}},
				{{2, 2}, {3, 2}, {3, 3}, {2, 2}},
			}}},
		{"within multisurface in 3D", fes(`<fes:Within><fes:ValueReference>geom</fes:ValueReference>
			<gml:MultiSurface srsName="EPSG:2154" srsDimension="3"><gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing>
				<gml:posList>0 0 5 1 0 5 1 1 5 0 0 5</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>
			<gml:surfaceMember><gml:Surface><gml:patches><gml:PolygonPatch><gml:exterior><gml:LinearRing>
				<gml:posList>5 5 0 6 5 0 6 6 0 5 5 0</gml:posList></gml:LinearRing></gml:exterior></gml:PolygonPatch></gml:patches></gml:Surface></gml:surfaceMember>
			</gml:MultiSurface></fes:Within>`),
			Spatial{Op: Within, Property: "geom", CRS: epsg2154, Geometry: orb.MultiPolygon{
				{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}},
				{{{5, 5}, {6, 5}, {6, 6}, {5, 5}}},
			}}},
		{"contains multicurve", fes(`<fes:Contains><fes:ValueReference>geom</fes:ValueReference>
			<gml:MultiCurve><gml:curveMember><gml:LineString><gml:posList>0 0 1 1</gml:posList></gml:LineString></gml:curveMember>
			<gml:curveMember><gml:Curve><gml:segments><gml:LineStringSegment><gml:posList>2 2 3 3</gml:posList></gml:LineStringSegment>
			<gml:LineStringSegment interpolation="linear"><gml:posList>3 3 4 2</gml:posList></gml:LineStringSegment></gml:segments></gml:Curve></gml:curveMember>
			</gml:MultiCurve></fes:Contains>`),
			Spatial{Op: Contains, Property: "geom", Geometry: orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}, {4, 2}}}}},
		{"disjoint multipoint", fes(`<fes:Disjoint><fes:ValueReference>geom</fes:ValueReference>
			<gml:MultiPoint srsName="urn:ogc:def:crs:EPSG::4326"><gml:pointMember><gml:Point><gml:pos>1 2</gml:pos></gml:Point></gml:pointMember>
			<gml:pointMembers><gml:Point><gml:pos>3 4</gml:pos></gml:Point><gml:Point><gml:pos>5 6</gml:pos></gml:Point></gml:pointMembers></gml:MultiPoint></fes:Disjoint>`),
			Spatial{Op: Disjoint, Property: "geom", CRS: epsg4326, Geometry: orb.MultiPoint{{2, 1}, {4, 3}, {6, 5}}}},
		{"geometry in a literal", fes(`<fes:Equals><fes:ValueReference>geom</fes:ValueReference><fes:Literal><gml:Point><gml:pos>1 2</gml:pos></gml:Point></fes:Literal></fes:Equals>`),
			Spatial{Op: Equals, Property: "geom", Geometry: orb.Point{1, 2}}},
		{"touches line", fes(`<fes:Touches><fes:ValueReference>geom</fes:ValueReference><gml:LineString><gml:pos>0 0</gml:pos><gml:pos>1 1</gml:pos></gml:LineString></fes:Touches>`),
			Spatial{Op: Touches, Property: "geom", Geometry: orb.LineString{{0, 0}, {1, 1}}}},
		{"crosses envelope", fes(`<fes:Crosses><fes:ValueReference>geom</fes:ValueReference><gml:Envelope><gml:lowerCorner>0 0</gml:lowerCorner><gml:upperCorner>1 1</gml:upperCorner></gml:Envelope></fes:Crosses>`),
			Spatial{Op: Crosses, Property: "geom", Geometry: orb.Bound{Max: orb.Point{1, 1}}}},
		{"overlaps multigeometry", fes(`<fes:Overlaps><fes:ValueReference>geom</fes:ValueReference><gml:MultiGeometry><gml:geometryMember><gml:Point><gml:pos>1 2</gml:pos></gml:Point></gml:geometryMember></gml:MultiGeometry></fes:Overlaps>`),
			Spatial{Op: Overlaps, Property: "geom", Geometry: orb.Collection{orb.Point{1, 2}}}},
		{"dwithin", fes(`<fes:DWithin><fes:ValueReference>geom</fes:ValueReference><gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>48.85 2.35</gml:pos></gml:Point><fes:Distance uom="m">1500</fes:Distance></fes:DWithin>`),
			Spatial{Op: DWithin, Property: "geom", CRS: epsg4326, Geometry: orb.Point{2.35, 48.85}, Distance: 1500, Units: "m"}},
		{"beyond", fes(`<fes:Beyond><gml:Point><gml:pos>1 2</gml:pos></gml:Point><fes:Distance uom="urn:ogc:def:uom:EPSG::9001">10</fes:Distance></fes:Beyond>`),
			Spatial{Op: Beyond, Geometry: orb.Point{1, 2}, Distance: 10, Units: "urn:ogc:def:uom:EPSG::9001"}},
		{"resource ids", fes(`<fes:ResourceId rid="places.1"/><fes:ResourceId rid="places.2" previousRid="places.0"/>`),
			ResourceID{IDs: []string{"places.1", "places.2"}}},
		{"resource ids in or", fes(`<fes:Or><fes:ResourceId rid="1"/><fes:ResourceId rid="2"/><fes:PropertyIsNull><fes:ValueReference>a</fes:ValueReference></fes:PropertyIsNull></fes:Or>`),
			Or{Filters: []Filter{ResourceID{IDs: []string{"1", "2"}}, IsNull{Property: "a"}}}},
		{"no namespace", `<Filter><PropertyIsEqualTo><ValueReference>name</ValueReference><Literal>x</Literal></PropertyIsEqualTo></Filter>`,
			Compare{Op: EqualTo, Property: "name", Literal: "x", MatchCase: true}},
		{"default namespace", `<Filter xmlns="http://www.opengis.net/fes/2.0"><BBOX><Envelope xmlns="http://www.opengis.net/gml/3.2" srsName="EPSG:4326"><lowerCorner>0 0</lowerCorner><upperCorner>1 1</upperCorner></Envelope></BBOX></Filter>`,
			Spatial{Op: BBOX, CRS: epsg4326, Geometry: orb.Bound{Max: orb.Point{1, 1}}}},
		{"undeclared prefixes", `<fes:Filter><fes:BBOX><gml:Envelope><gml:lowerCorner>0 0</gml:lowerCorner><gml:upperCorner>1 1</gml:upperCorner></gml:Envelope></fes:BBOX></fes:Filter>`,
			Spatial{Op: BBOX, Geometry: orb.Bound{Max: orb.Point{1, 1}}}},
		{"latin-1", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" + fes("<fes:PropertyIsEqualTo><fes:ValueReference>name</fes:ValueReference><fes:Literal>Orl\xe9ans</fes:Literal></fes:PropertyIsEqualTo>"),
			Compare{Op: EqualTo, Property: "name", Literal: "Orléans", MatchCase: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFES20([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParseFilter11(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want Filter
	}{
		{"equal", ogc(`<ogc:PropertyIsEqualTo matchCase="true"><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Paris</ogc:Literal></ogc:PropertyIsEqualTo>`),
			Compare{Op: EqualTo, Property: "name", Literal: "Paris", MatchCase: true}},
		{"like with escape", ogc(`<ogc:PropertyIsLike wildCard="%" singleChar="_" escape="\"><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>P%</ogc:Literal></ogc:PropertyIsLike>`),
			Like{Property: "name", Pattern: "P%", WildCard: "%", SingleChar: "_", Escape: `\`, MatchCase: true}},
		{"bbox envelope", ogc(`<ogc:BBOX><ogc:PropertyName>geom</ogc:PropertyName><gml:Envelope srsName="EPSG:4326"><gml:lowerCorner>1 43</gml:lowerCorner><gml:upperCorner>3 49</gml:upperCorner></gml:Envelope></ogc:BBOX>`),
			Spatial{Op: BBOX, Property: "geom", CRS: epsg4326, Geometry: orb.Bound{Min: orb.Point{1, 43}, Max: orb.Point{3, 49}}}},
		{"bbox urn x-ogc", ogc(`<ogc:BBOX><gml:Envelope srsName="urn:x-ogc:def:crs:EPSG:4326"><gml:lowerCorner>43 1</gml:lowerCorner><gml:upperCorner>49 3</gml:upperCorner></gml:Envelope></ogc:BBOX>`),
			Spatial{Op: BBOX, CRS: epsg4326, Geometry: orb.Bound{Min: orb.Point{1, 43}, Max: orb.Point{3, 49}}}},
		{"bbox box", ogc(`<ogc:BBOX><ogc:PropertyName>geom</ogc:PropertyName><gml:Box srsName="http://www.opengis.net/gml/srs/epsg.xml#4326"><gml:coordinates>1,43 3,49</gml:coordinates></gml:Box></ogc:BBOX>`),
			Spatial{Op: BBOX, Property: "geom", CRS: epsg4326, Geometry: orb.Bound{Min: orb.Point{1, 43}, Max: orb.Point{3, 49}}}},
		{"box of coords", ogc(`<ogc:BBOX><gml:Box><gml:coord><gml:X>1</gml:X><gml:Y>43</gml:Y></gml:coord><gml:coord><gml:X>3</gml:X><gml:Y>49</gml:Y></gml:coord></gml:Box></ogc:BBOX>`),
			Spatial{Op: BBOX, Geometry: orb.Bound{Min: orb.Point{1, 43}, Max: orb.Point{3, 49}}}},
		{"GML 2 polygon", ogc(`<ogc:Intersects><ogc:PropertyName>geom</ogc:PropertyName><gml:Polygon srsName="EPSG:2154">
			<gml:outerBoundaryIs><gml:LinearRing><gml:coordinates decimal="," cs=";" ts="|">0,5;0|10;0|10;10|0,5;0</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs>
			<gml:innerBoundaryIs><gml:LinearRing><gml:coordinates>2,2 3,2 3,3 2,2</gml:coordinates></gml:LinearRing></gml:innerBoundaryIs>
			</gml:Polygon></ogc:Intersects>`),
			Spatial{Op: Intersects, Property: "geom", CRS: epsg2154, Geometry: orb.Polygon{
				{{0.5, 0}, {10, 0}, {10, 10}, {0.5, 0}},
				{{2, 2}, {3, 2}, {3, 3}, {2, 2}},
			}}},
		{"GML 3.1.1 polygon in lat/lon", ogc(`<ogc:Within><ogc:PropertyName>geom</ogc:PropertyName><gml:Polygon srsName="urn:ogc:def:crs:EPSG::4326">
			<gml:exterior><gml:LinearRing><gml:posList>43 1 43 3 49 3 43 1</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></ogc:Within>`),
			Spatial{Op: Within, Property: "geom", CRS: epsg4326, Geometry: orb.Polygon{{{1, 43}, {3, 43}, {3, 49}, {1, 43}}}}},
		{"multipolygon", ogc(`<ogc:Contains><ogc:PropertyName>geom</ogc:PropertyName><gml:MultiPolygon><gml:polygonMember><gml:Polygon><gml:outerBoundaryIs><gml:LinearRing><gml:coordinates>0,0 1,0 1,1 0,0</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs></gml:Polygon></gml:polygonMember></gml:MultiPolygon></ogc:Contains>`),
			Spatial{Op: Contains, Property: "geom", Geometry: orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}}},
		{"multilinestring", ogc(`<ogc:Crosses><ogc:PropertyName>geom</ogc:PropertyName><gml:MultiLineString><gml:lineStringMember><gml:LineString><gml:coordinates>0,0 1,1</gml:coordinates></gml:LineString></gml:lineStringMember></gml:MultiLineString></ogc:Crosses>`),
			Spatial{Op: Crosses, Property: "geom", Geometry: orb.MultiLineString{{{0, 0}, {1, 1}}}}},
		{"dwithin", ogc(`<ogc:DWithin><ogc:PropertyName>geom</ogc:PropertyName><gml:Point><gml:coordinates>1,2</gml:coordinates></gml:Point><ogc:Distance units="m">100</ogc:Distance></ogc:DWithin>`),
			Spatial{Op: DWithin, Property: "geom", Geometry: orb.Point{1, 2}, Distance: 100, Units: "m"}},
		{"feature ids", ogc(`<ogc:FeatureId fid="places.1"/><ogc:FeatureId fid="places.2"/>`), ResourceID{IDs: []string{"places.1", "places.2"}}},
		{"gml object id", ogc(`<ogc:GmlObjectId gml:id="places.3"/>`), ResourceID{IDs: []string{"places.3"}}},
		{"not between", ogc(`<ogc:Not><ogc:PropertyIsBetween><ogc:PropertyName>pop</ogc:PropertyName><ogc:LowerBoundary><ogc:Literal>1</ogc:Literal></ogc:LowerBoundary><ogc:UpperBoundary><ogc:Literal>2</ogc:Literal></ogc:UpperBoundary></ogc:PropertyIsBetween></ogc:Not>`),
			Not{Filter: Between{Property: "pop", Lower: "1", Upper: "2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFilter11([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	eq := `<fes:PropertyIsEqualTo><fes:ValueReference>a</fes:ValueReference><fes:Literal>1</fes:Literal></fes:PropertyIsEqualTo>`
	tests := []struct {
		name    string
		doc     string
		want    error
		message string // a part of the message
	}{
		{"DOCTYPE", `<!DOCTYPE x [<!ENTITY a "b">]>` + fes(eq), ErrInvalid, "DOCTYPE"},
		{"external entity", `<?xml version="1.0"?><!DOCTYPE fes:Filter [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
			fes(`<fes:PropertyIsEqualTo><fes:ValueReference>a</fes:ValueReference><fes:Literal>&xxe;</fes:Literal></fes:PropertyIsEqualTo>`), ErrInvalid, "DOCTYPE"},
		{"billion laughs", billionLaughs(), ErrInvalid, "DOCTYPE"},
		{"undefined entity", fes(`<fes:PropertyIsEqualTo><fes:ValueReference>a</fes:ValueReference><fes:Literal>&lol;</fes:Literal></fes:PropertyIsEqualTo>`), ErrInvalid, "malformed XML"},
		{"malformed", fes(`<fes:PropertyIsEqualTo>`), ErrInvalid, "malformed XML"},
		{"empty", ``, ErrInvalid, "empty"},
		{"two roots", fes(eq) + fes(eq), ErrInvalid, "root"},
		{"trailing text", fes(eq) + "x", ErrInvalid, "outside the root"},
		{"unknown encoding", `<?xml version="1.0" encoding="EBCDIC-US"?>` + fes(eq), ErrInvalid, "encoding"},
		{"not a filter", `<fes:And xmlns:fes="http://www.opengis.net/fes/2.0"/>`, ErrInvalid, "Filter"},
		{"filter 1.1 as 2.0", ogc(`<ogc:PropertyIsNull><ogc:PropertyName>a</ogc:PropertyName></ogc:PropertyIsNull>`), ErrInvalid, "http://www.opengis.net/ogc"},
		{"empty filter", fes(``), ErrInvalid, "empty filter"},
		{"two predicates", fes(eq + eq), ErrInvalid, "2 predicates"},
		{"ids and predicates", fes(`<fes:ResourceId rid="1"/>` + eq), ErrInvalid, "identifiers mixed"},
		{"text in filter", fes(`hello` + eq), ErrInvalid, "unexpected text"},
		{"unknown operator", fes(`<fes:PropertyIsSimilarTo/>`), ErrInvalid, "PropertyIsSimilarTo"},
		{"foreign element", fes(`<x:Foo xmlns:x="urn:x"/>`), ErrInvalid, "{urn:x}Foo"},
		{"temporal", fes(`<fes:After><fes:ValueReference>t</fes:ValueReference><fes:Literal>2020</fes:Literal></fes:After>`), ErrUnsupported, "After"},
		{"function", fes(`<fes:PropertyIsEqualTo><fes:Function name="strToLowerCase"><fes:ValueReference>a</fes:ValueReference></fes:Function><fes:Literal>x</fes:Literal></fes:PropertyIsEqualTo>`), ErrUnsupported, "Function"},
		{"two properties", fes(`<fes:PropertyIsEqualTo><fes:ValueReference>a</fes:ValueReference><fes:ValueReference>b</fes:ValueReference></fes:PropertyIsEqualTo>`), ErrUnsupported, "two properties"},
		{"one operand", fes(`<fes:PropertyIsEqualTo><fes:ValueReference>a</fes:ValueReference></fes:PropertyIsEqualTo>`), ErrInvalid, "two operands"},
		{"and of one", fes(`<fes:And>` + eq + `</fes:And>`), ErrInvalid, "at least two"},
		{"not of two", fes(`<fes:Not>` + eq + eq + `</fes:Not>`), ErrInvalid, "exactly one"},
		{"bad matchCase", fes(`<fes:PropertyIsEqualTo matchCase="maybe"><fes:ValueReference>a</fes:ValueReference><fes:Literal>1</fes:Literal></fes:PropertyIsEqualTo>`), ErrInvalid, "matchCase"},
		{"bad matchAction", fes(`<fes:PropertyIsEqualTo matchAction="Some"><fes:ValueReference>a</fes:ValueReference><fes:Literal>1</fes:Literal></fes:PropertyIsEqualTo>`), ErrInvalid, "matchAction"},
		{"like without wildCard", fes(`<fes:PropertyIsLike singleChar="." escapeChar="!"><fes:ValueReference>a</fes:ValueReference><fes:Literal>x</fes:Literal></fes:PropertyIsLike>`), ErrInvalid, "wildCard"},
		{"like long wildCard", fes(`<fes:PropertyIsLike wildCard="**" singleChar="." escapeChar="!"><fes:ValueReference>a</fes:ValueReference><fes:Literal>x</fes:Literal></fes:PropertyIsLike>`), ErrInvalid, "one character"},
		{"like same chars", fes(`<fes:PropertyIsLike wildCard="*" singleChar="*" escapeChar="!"><fes:ValueReference>a</fes:ValueReference><fes:Literal>x</fes:Literal></fes:PropertyIsLike>`), ErrInvalid, "must differ"},
		{"literal with elements", fes(`<fes:PropertyIsEqualTo><fes:ValueReference>a</fes:ValueReference><fes:Literal><b/></fes:Literal></fes:PropertyIsEqualTo>`), ErrUnsupported, "element content"},
		{"empty property", fes(`<fes:PropertyIsNull><fes:ValueReference> </fes:ValueReference></fes:PropertyIsNull>`), ErrInvalid, "empty property"},
		{"nil without property", fes(`<fes:PropertyIsNil/>`), ErrInvalid, "needs one property"},
		{"between without bounds", fes(`<fes:PropertyIsBetween><fes:ValueReference>a</fes:ValueReference></fes:PropertyIsBetween>`), ErrInvalid, "LowerBoundary"},
		{"versioned id", fes(`<fes:ResourceId rid="1" version="LAST"/>`), ErrUnsupported, "version"},
		{"id without rid", fes(`<fes:ResourceId/>`), ErrInvalid, "missing rid"},
		{"feature id in 2.0", fes(`<fes:FeatureId fid="1"/>`), ErrInvalid, "FeatureId"},
		{"spatial without geometry", fes(`<fes:Intersects><fes:ValueReference>geom</fes:ValueReference></fes:Intersects>`), ErrInvalid, "needs a GML geometry"},
		{"spatial two properties", fes(`<fes:Intersects><fes:ValueReference>a</fes:ValueReference><fes:ValueReference>b</fes:ValueReference></fes:Intersects>`), ErrUnsupported, "two geometry properties"},
		{"two geometries", fes(`<fes:Intersects><gml:Point><gml:pos>1 2</gml:pos></gml:Point><gml:Point><gml:pos>1 2</gml:pos></gml:Point></fes:Intersects>`), ErrInvalid, "more than one geometry"},
		{"unsupported geometry", fes(`<fes:Intersects><gml:Circle/></fes:Intersects>`), ErrUnsupported, "Circle"},
		{"unknown geometry", fes(`<fes:Intersects><gml:Blob/></fes:Intersects>`), ErrInvalid, "Blob"},
		{"arc segment", fes(`<fes:Intersects><gml:Curve><gml:segments><gml:Arc><gml:posList>0 0 1 1 2 0</gml:posList></gml:Arc></gml:segments></gml:Curve></fes:Intersects>`), ErrUnsupported, "Arc"},
		{"open ring", fes(`<fes:Intersects><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>0 0 1 0 1 1 0 1</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></fes:Intersects>`), ErrInvalid, "not closed"},
		{"short ring", fes(`<fes:Intersects><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>0 0 1 0 0 0</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></fes:Intersects>`), ErrInvalid, "four positions"},
		{"NaN coordinate", fes(`<fes:Intersects><gml:Point><gml:pos>NaN 1</gml:pos></gml:Point></fes:Intersects>`), ErrInvalid, "finite"},
		{"huge coordinate", fes(`<fes:Intersects><gml:Point><gml:pos>1e400 1</gml:pos></gml:Point></fes:Intersects>`), ErrInvalid, "finite"},
		{"odd posList", fes(`<fes:Intersects><gml:LineString><gml:posList>0 0 1</gml:posList></gml:LineString></fes:Intersects>`), ErrInvalid, "dimension 2"},
		{"bad srsDimension", fes(`<fes:Intersects><gml:LineString srsDimension="9"><gml:posList>0 0 1 1</gml:posList></gml:LineString></fes:Intersects>`), ErrInvalid, "srsDimension"},
		{"unknown CRS", fes(`<fes:Intersects><gml:Point srsName="EPSG:999999"><gml:pos>1 2</gml:pos></gml:Point></fes:Intersects>`), ErrInvalid, "EPSG:999999"},
		{"garbage CRS", fes(`<fes:Intersects><gml:Point srsName="'; DROP TABLE x"><gml:pos>1 2</gml:pos></gml:Point></fes:Intersects>`), ErrInvalid, "srsName"},
		{"mixed CRS", fes(`<fes:Intersects><gml:MultiPoint srsName="EPSG:4326"><gml:pointMember><gml:Point srsName="EPSG:2154"><gml:pos>1 2</gml:pos></gml:Point></gml:pointMember></gml:MultiPoint></fes:Intersects>`), ErrInvalid, "differs"},
		{"inverted envelope", fes(`<fes:BBOX><gml:Envelope><gml:lowerCorner>2 2</gml:lowerCorner><gml:upperCorner>1 1</gml:upperCorner></gml:Envelope></fes:BBOX>`), ErrInvalid, "above upper corner"},
		{"empty multipoint", fes(`<fes:Intersects><gml:MultiPoint/></fes:Intersects>`), ErrInvalid, "empty MultiPoint"},
		{"xlink member", fes(`<fes:Intersects><gml:MultiPoint><gml:pointMember xlink:href="#p" xmlns:xlink="http://www.w3.org/1999/xlink"/></gml:MultiPoint></fes:Intersects>`), ErrUnsupported, "xlink"},
		{"distance without uom", fes(`<fes:DWithin><gml:Point><gml:pos>1 2</gml:pos></gml:Point><fes:Distance>5</fes:Distance></fes:DWithin>`), ErrInvalid, "uom"},
		{"distance in furlongs", fes(`<fes:DWithin><gml:Point><gml:pos>1 2</gml:pos></gml:Point><fes:Distance uom="furlong">5</fes:Distance></fes:DWithin>`), ErrUnsupported, "furlong"},
		{"negative distance", fes(`<fes:DWithin><gml:Point><gml:pos>1 2</gml:pos></gml:Point><fes:Distance uom="m">-5</fes:Distance></fes:DWithin>`), ErrInvalid, "non-negative"},
		{"dwithin without distance", fes(`<fes:DWithin><gml:Point><gml:pos>1 2</gml:pos></gml:Point></fes:DWithin>`), ErrInvalid, "needs a Distance"},
		{"deep nesting", fes(strings.Repeat("<fes:Not>", 100) + eq + strings.Repeat("</fes:Not>", 100)), ErrInvalid, "nested deeper"},
		{"too many nodes", fes("<fes:Or>" + strings.Repeat(eq, 3500) + "</fes:Or>"), ErrInvalid, "elements and attributes"},
		{"huge literal", fes(`<fes:PropertyIsEqualTo><fes:ValueReference>a</fes:ValueReference><fes:Literal>` + strings.Repeat("x", MaxLiteralLength+1) + `</fes:Literal></fes:PropertyIsEqualTo>`), ErrInvalid, "longer than"},
		{"huge attribute", fes(`<fes:ResourceId rid="` + strings.Repeat("1", MaxLiteralLength+1) + `"/>`), ErrInvalid, "longer than"},
		{"huge input", fes(`<!--` + strings.Repeat("x", MaxInputSize) + `-->` + eq), ErrInvalid, "exceeds the limit"},
		{"too many coordinates", fes(`<fes:Intersects><gml:LineString><gml:posList>` + strings.Repeat("0 0 ", MaxCoordinates+1) + `</gml:posList></gml:LineString></fes:Intersects>`), ErrInvalid, "positions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFES20([]byte(tt.doc))
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseFES20 = %#v, %v; want %v", f, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("message %q does not mention %q", err, tt.message)
			}
		})
	}
}

func TestParseErrorsNameTheElement(t *testing.T) {
	_, err := ParseFES20([]byte(fes(`<fes:And><fes:PropertyIsNull><fes:ValueReference>a</fes:ValueReference></fes:PropertyIsNull>
		<fes:PropertyIsLike wildCard="*" singleChar="." escapeChar="!!"><fes:ValueReference>a</fes:ValueReference><fes:Literal>x</fes:Literal></fes:PropertyIsLike></fes:And>`)))
	want := `invalid filter: Filter/And/PropertyIsLike: escapeChar="!!" must be one character`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	_, err = ParseFES20([]byte(fes(`<fes:Intersects><gml:Point srsName="EPSG:999999"><gml:pos>1 2</gml:pos></gml:Point></fes:Intersects>`)))
	if !errors.Is(err, crs.ErrUnknownCRS) {
		t.Errorf("unknown CRS error does not wrap crs.ErrUnknownCRS: %v", err)
	}
}

func TestParseFilter11Errors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want error
	}{
		{"FES 2.0 as 1.1", fes(`<fes:PropertyIsNull><fes:ValueReference>a</fes:ValueReference></fes:PropertyIsNull>`), ErrInvalid},
		{"nested feature id", ogc(`<ogc:Or><ogc:FeatureId fid="1"/><ogc:FeatureId fid="2"/></ogc:Or>`), ErrInvalid},
		{"resource id in 1.1", ogc(`<ogc:ResourceId rid="1"/>`), ErrInvalid},
		{"arithmetic", ogc(`<ogc:PropertyIsEqualTo><ogc:Add><ogc:PropertyName>a</ogc:PropertyName><ogc:Literal>1</ogc:Literal></ogc:Add><ogc:Literal>2</ogc:Literal></ogc:PropertyIsEqualTo>`), ErrUnsupported},
		{"coord without Y", ogc(`<ogc:BBOX><gml:Box><gml:coord><gml:X>1</gml:X></gml:coord><gml:coord><gml:X>1</gml:X><gml:Y>1</gml:Y></gml:coord></gml:Box></ogc:BBOX>`), ErrInvalid},
		{"bad coordinates", ogc(`<ogc:BBOX><gml:Box><gml:coordinates>1,2,3,4 5,6</gml:coordinates></gml:Box></ogc:BBOX>`), ErrInvalid},
		{"same separators", ogc(`<ogc:BBOX><gml:Box><gml:coordinates cs=" ">1 2 3 4</gml:coordinates></gml:Box></ogc:BBOX>`), ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if f, err := ParseFilter11([]byte(tt.doc)); !errors.Is(err, tt.want) {
				t.Fatalf("ParseFilter11 = %#v, %v; want %v", f, err, tt.want)
			}
		})
	}
}

func billionLaughs() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">`)
	prev := "lol"
	for i := 1; i <= 9; i++ {
		name := "lol" + string(rune('0'+i))
		b.WriteString(`<!ENTITY ` + name + ` "` + strings.Repeat("&"+prev+";", 10) + `">`)
		prev = name
	}
	b.WriteString(`]>` + fes(`<fes:PropertyIsEqualTo><fes:ValueReference>a</fes:ValueReference><fes:Literal>&lol9;</fes:Literal></fes:PropertyIsEqualTo>`))
	return b.String()
}

func TestParseBBOX(t *testing.T) {
	tests := []struct {
		name  string
		value string
		def   crs.CRS
		want  Spatial
	}{
		{"EPSG:4326 is lon/lat", "1,43,3,49,EPSG:4326", crs.CRS{}, Spatial{Op: BBOX, CRS: epsg4326, Geometry: orb.Bound{Min: orb.Point{1, 43}, Max: orb.Point{3, 49}}}},
		{"URN 4326 is lat/lon", "43,1,49,3,urn:ogc:def:crs:EPSG::4326", crs.CRS{}, Spatial{Op: BBOX, CRS: epsg4326, Geometry: orb.Bound{Min: orb.Point{1, 43}, Max: orb.Point{3, 49}}}},
		{"URI 4326 is lat/lon", "43,1,49,3,http://www.opengis.net/def/crs/EPSG/0/4326", crs.CRS{}, Spatial{Op: BBOX, CRS: epsg4326, Geometry: orb.Bound{Min: orb.Point{1, 43}, Max: orb.Point{3, 49}}}},
		{"CRS:84", "1,43,3,49,CRS:84", crs.CRS{}, Spatial{Op: BBOX, CRS: crs.CRS84, Geometry: orb.Bound{Min: orb.Point{1, 43}, Max: orb.Point{3, 49}}}},
		{"URN Lambert 93", "600000,6000000,700000,7000000,urn:ogc:def:crs:EPSG::2154", crs.CRS{}, Spatial{Op: BBOX, CRS: epsg2154, Geometry: orb.Bound{Min: orb.Point{600000, 6000000}, Max: orb.Point{700000, 7000000}}}},
		{"default CRS official order", "43,1,49,3", epsg4326, Spatial{Op: BBOX, CRS: epsg4326, Geometry: orb.Bound{Min: orb.Point{1, 43}, Max: orb.Point{3, 49}}}},
		{"no CRS at all", " 1 , 2 , 3 , 4 ", crs.CRS{}, Spatial{Op: BBOX, Geometry: orb.Bound{Min: orb.Point{1, 2}, Max: orb.Point{3, 4}}}},
		{"flat box", "1,2,1,2", crs.CRS{}, Spatial{Op: BBOX, Geometry: orb.Bound{Min: orb.Point{1, 2}, Max: orb.Point{1, 2}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBBOX(tt.value, tt.def)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "1,2,3", "1,2,3,4,5,6", "a,2,3,4", "1,2,3,NaN", "1,2,3,Inf", "3,2,1,4", "1,2,3,4,EPSG:999999", "1,2,3,4,'; DROP TABLE x", "1,2,3,4,"} {
		if s, err := ParseBBOX(bad, crs.CRS{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseBBOX(%q) = %+v, %v; want ErrInvalid", bad, s, err)
		}
	}
}

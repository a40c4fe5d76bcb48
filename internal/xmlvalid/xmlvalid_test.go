package xmlvalid_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/internal/xmlvalid"
)

const owsExceptionSchema = "ows/1.1.0/owsExceptionReport.xsd"

const exceptionReport = `<?xml version="1.0" encoding="UTF-8"?>
<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows/1.1" version="1.0.0" xml:lang="en">
  <ows:Exception exceptionCode="InvalidParameterValue" locator="layer">
    <ows:ExceptionText>unknown layer: nosuch</ows:ExceptionText>
  </ows:Exception>
</ows:ExceptionReport>
`

const wmtsCapabilities = `<?xml version="1.0" encoding="UTF-8"?>
<Capabilities xmlns="http://www.opengis.net/wmts/1.0" xmlns:ows="http://www.opengis.net/ows/1.1"
    xmlns:xlink="http://www.w3.org/1999/xlink" version="1.0.0">
  <ows:ServiceIdentification>
    <ows:Title>tuiles</ows:Title>
    <ows:ServiceType>OGC WMTS</ows:ServiceType>
    <ows:ServiceTypeVersion>1.0.0</ows:ServiceTypeVersion>
  </ows:ServiceIdentification>
  <Contents>
    <Layer>
      <ows:Identifier>demo</ows:Identifier>
      <ows:WGS84BoundingBox><ows:LowerCorner>-180 -85.05</ows:LowerCorner><ows:UpperCorner>180 85.05</ows:UpperCorner></ows:WGS84BoundingBox>
      <Style isDefault="true"><ows:Identifier>default</ows:Identifier></Style>
      <Format>image/png</Format>
      <TileMatrixSetLink><TileMatrixSet>WebMercatorQuad</TileMatrixSet></TileMatrixSetLink>
      <ResourceURL format="image/png" resourceType="tile"
          template="http://127.0.0.1:8080/wmts/1.0.0/demo/default/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.png"/>
    </Layer>
    <TileMatrixSet>
      <ows:Identifier>WebMercatorQuad</ows:Identifier>
      <ows:SupportedCRS>urn:ogc:def:crs:EPSG::3857</ows:SupportedCRS>
      <TileMatrix>
        <ows:Identifier>0</ows:Identifier>
        <ScaleDenominator>SCALE</ScaleDenominator>
        <TopLeftCorner>-20037508.3427892 20037508.3427892</TopLeftCorner>
        <TileWidth>256</TileWidth><TileHeight>256</TileHeight>
        <MatrixWidth>1</MatrixWidth><MatrixHeight>1</MatrixHeight>
      </TileMatrix>
    </TileMatrixSet>
  </Contents>
  <ServiceMetadataURL xlink:href="http://127.0.0.1:8080/wmts/1.0.0/WMTSCapabilities.xml"/>
</Capabilities>
`

// An application schema as a WFS DescribeFeatureType would return it: it
// imports GML 3.2 by its schemas.opengis.net URL, which the catalog maps here.
const appSchema = `<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:gml="http://www.opengis.net/gml/3.2"
    xmlns:t="http://tuiles.example/demo" targetNamespace="http://tuiles.example/demo"
    elementFormDefault="qualified">
  <xs:import namespace="http://www.opengis.net/gml/3.2" schemaLocation="http://schemas.opengis.net/gml/3.2.1/gml.xsd"/>
  <xs:element name="places" type="t:placesType" substitutionGroup="gml:AbstractFeature"/>
  <xs:complexType name="placesType">
    <xs:complexContent>
      <xs:extension base="gml:AbstractFeatureType">
        <xs:sequence>
          <xs:element name="geom" type="gml:PointPropertyType" minOccurs="0"/>
          <xs:element name="population" type="xs:long" minOccurs="0"/>
        </xs:sequence>
      </xs:extension>
    </xs:complexContent>
  </xs:complexType>
</xs:schema>
`

const featureCollection = `<?xml version="1.0" encoding="UTF-8"?>
<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:gml="http://www.opengis.net/gml/3.2"
    xmlns:t="http://tuiles.example/demo" timeStamp="2026-01-01T00:00:00Z" numberMatched="1" numberReturned="1">
  <wfs:member>
    <t:places gml:id="places.1">
      <t:geom><gml:Point gml:id="places.1.geom" srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>48.85 2.35</gml:pos></gml:Point></t:geom>
      <t:population>POPULATION</t:population>
    </t:places>
  </wfs:member>
</wfs:FeatureCollection>
`

const wms111Exception = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE ServiceExceptionReport SYSTEM "http://schemas.opengis.net/wms/1.1.1/exception_1_1_1.dtd">
<ServiceExceptionReport version="VERSION">
  <ServiceException code="LayerNotDefined">unknown layer: nosuch</ServiceException>
</ServiceExceptionReport>
`

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		schemas []string
		valid   bool
		want    string // in the error, when invalid
	}{
		{
			name:    "OWS 1.1 exception report",
			doc:     exceptionReport,
			schemas: []string{owsExceptionSchema},
			valid:   true,
		},
		{
			name:    "exception report without its required version attribute",
			doc:     strings.Replace(exceptionReport, ` version="1.0.0"`, "", 1),
			schemas: []string{owsExceptionSchema},
			want:    "version",
		},
		{
			name:    "exception without its required exceptionCode attribute",
			doc:     strings.Replace(exceptionReport, ` exceptionCode="InvalidParameterValue"`, "", 1),
			schemas: []string{owsExceptionSchema},
			want:    "exceptionCode",
		},
		{
			name: "exception report without any Exception element",
			doc: `<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows/1.1" version="1.0.0"/>
`,
			schemas: []string{owsExceptionSchema},
			want:    "Missing child element",
		},
		{
			name:    "exception report of OWS 1.0 against the OWS 1.1 schema",
			doc:     strings.Replace(exceptionReport, "http://www.opengis.net/ows/1.1", "http://www.opengis.net/ows", 1),
			schemas: []string{owsExceptionSchema},
			want:    "No matching global declaration",
		},
		{
			name:    "not well-formed",
			doc:     strings.Replace(exceptionReport, "</ows:ExceptionReport>", "", 1),
			schemas: []string{owsExceptionSchema},
			want:    "document",
		},
		{
			name:    "WMTS capabilities",
			doc:     strings.Replace(wmtsCapabilities, "SCALE", "559082264.0287178", 1),
			schemas: []string{"wmts/1.0/wmtsGetCapabilities_response.xsd"},
			valid:   true,
		},
		{
			name:    "WMTS capabilities with a scale that is not a number",
			doc:     strings.Replace(wmtsCapabilities, "SCALE", "big", 1),
			schemas: []string{"wmts/1.0/wmtsGetCapabilities_response.xsd"},
			want:    "ScaleDenominator",
		},
		{
			name:    "WMTS capabilities against the all-in-one schema",
			doc:     strings.Replace(wmtsCapabilities, "SCALE", "559082264.0287178", 1),
			schemas: []string{"wmts/1.0/wmts.xsd"},
			valid:   true,
		},
		{
			name:    "WFS 2.0 feature collection with its application schema",
			doc:     strings.Replace(featureCollection, "POPULATION", "2100000", 1),
			schemas: []string{"wfs/2.0/wfs.xsd", appSchema},
			valid:   true,
		},
		{
			name:    "WFS 2.0 feature collection with a property of the wrong type",
			doc:     strings.Replace(featureCollection, "POPULATION", "many", 1),
			schemas: []string{"wfs/2.0/wfs.xsd", appSchema},
			want:    "population",
		},
		{
			// wfs:member holds any element with processContents="lax": with no
			// schema for the feature's namespace, its content is not checked at
			// all. That is why GetFeature tests must pass the application schema.
			name:    "WFS 2.0 feature collection without its application schema is checked laxly",
			doc:     strings.Replace(featureCollection, "POPULATION", "many", 1),
			schemas: []string{"wfs/2.0/wfs.xsd"},
			valid:   true,
		},
		{
			name:    "two schemas from the folder",
			doc:     exceptionReport,
			schemas: []string{owsExceptionSchema, "wmts/1.0/wmtsGetCapabilities_response.xsd"},
			valid:   true,
		},
		{
			name:    "schema that does not compile",
			doc:     exceptionReport,
			schemas: []string{`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="x" type="nosuch"/></xs:schema>`},
			want:    "does not compile",
		},
		{
			name:    "unknown schema",
			doc:     exceptionReport,
			schemas: []string{"ows/9.9/nosuch.xsd"},
			want:    "nosuch.xsd",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := xmlvalid.Check([]byte(tt.doc), tt.schemas[0], tt.schemas[1:]...)
			if tt.valid {
				if err != nil {
					t.Fatalf("Check: want valid, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Check: want an error for an invalid document, got nil")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check error does not mention %q:\n%v", tt.want, err)
			}
		})
	}
}

func TestCheckDTD(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		valid bool
	}{
		{"WMS 1.1.1 exception", strings.Replace(wms111Exception, "VERSION", "1.1.1", 1), true},
		{"WMS 1.1.1 exception with a wrong fixed version", strings.Replace(wms111Exception, "VERSION", "1.3.0", 1), false},
		{"WMS 1.1.1 exception with an undeclared element", strings.Replace(
			strings.Replace(wms111Exception, "VERSION", "1.1.1", 1),
			"</ServiceExceptionReport>", "<Extra/></ServiceExceptionReport>", 1), false},
		{"no DOCTYPE", `<ServiceExceptionReport version="1.1.1"/>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := xmlvalid.CheckDTD([]byte(tt.doc))
			if tt.valid && err != nil {
				t.Fatalf("CheckDTD: want valid, got %v", err)
			}
			if !tt.valid && err == nil {
				t.Fatal("CheckDTD: want an error for an invalid document, got nil")
			}
		})
	}
}

func TestValidate(t *testing.T) {
	xmlvalid.Validate(t, []byte(exceptionReport), owsExceptionSchema)
	xmlvalid.ValidateDTD(t, []byte(strings.Replace(wms111Exception, "VERSION", "1.1.1", 1)))

	// The test-facing functions must fail the test on an invalid document.
	invalid := []byte(strings.Replace(exceptionReport, ` version="1.0.0"`, "", 1))
	rec := &recorder{TB: t}
	xmlvalid.Validate(rec, invalid, owsExceptionSchema)
	if !rec.failed || !strings.Contains(rec.msg, "version") {
		t.Errorf("Validate on an invalid document: failed=%v, message %q", rec.failed, rec.msg)
	}
	rec = &recorder{TB: t}
	xmlvalid.ValidateDTD(rec, []byte(`<ServiceExceptionReport version="1.1.1"/>`))
	if !rec.failed {
		t.Error("ValidateDTD on a document with no DOCTYPE did not fail the test")
	}
}

func TestWorksFromAnyDirectoryOfTheRepository(t *testing.T) {
	root, err := xmlvalid.Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, xmlvalid.SchemaDir, "catalog.xml")); err != nil {
		t.Fatalf("Root() = %s, which has no %s/catalog.xml: %v", root, xmlvalid.SchemaDir, err)
	}
	t.Chdir(filepath.Join(root, xmlvalid.SchemaDir, "wmts"))
	if err := xmlvalid.Check([]byte(exceptionReport), owsExceptionSchema); err != nil {
		t.Fatalf("Check from a subdirectory: %v", err)
	}
}

func TestMissingXMLLintIsAnError(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := xmlvalid.Check([]byte(exceptionReport), owsExceptionSchema)
	if !errors.Is(err, xmlvalid.ErrNoXMLLint) {
		t.Fatalf("Check without xmllint: got %v, want ErrNoXMLLint", err)
	}
	rec := &recorder{TB: t}
	xmlvalid.Validate(rec, []byte(exceptionReport), owsExceptionSchema)
	if !rec.failed {
		t.Error("Validate without xmllint did not fail the test")
	}
}

// recorder stands in for a test to see whether Validate fails it. Unlike a
// real test, its Fatalf returns, which Validate tolerates since it calls
// Fatalf last.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = true
	r.msg = fmt.Sprintf(format, args...)
}

func (r *recorder) Fatal(args ...any) {
	r.failed = true
	r.msg = fmt.Sprint(args...)
}

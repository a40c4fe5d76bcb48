// Package xmlvalid validates XML documents in tests against the official OGC
// schemas kept in testdata/ogc-schemas, with xmllint and no network.
//
// The design asks that every XML document tuiles emits be checked against the
// OGC schemas; this package is the one way tests do it. xmllint (Debian's
// libxml2-utils, installed by `make deps`) is run with --nonet, and
// XML_CATALOG_FILES points at testdata/ogc-schemas/catalog.xml, which maps
// every http://schemas.opengis.net/ and W3C schema URL to the local copies.
// A missing xmllint is a test failure, never a skip: a validation that does
// not run must not look like one that passed.
//
// Schemas are named relative to testdata/ogc-schemas, as in its README:
//
//	xmlvalid.Validate(t, body, "wmts/1.0/wmtsGetCapabilities_response.xsd")
//	xmlvalid.Validate(t, body, "ows/1.1.0/owsExceptionReport.xsd")
//	xmlvalid.Validate(t, body, "wfs/2.0/wfs.xsd", describeFeatureTypeXSD)
//	xmlvalid.ValidateDTD(t, body) // WMS 1.1.1: the document's own DOCTYPE
//
// Only tests import this package.
package xmlvalid

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// SchemaDir is the folder, relative to the repository root, holding the OGC
// schemas and catalog.xml.
const SchemaDir = "testdata/ogc-schemas"

// ErrNoXMLLint is returned (wrapped) by Check and CheckDTD when xmllint is not
// on PATH.
var ErrNoXMLLint = errors.New("xmllint not found on PATH: install Debian's libxml2-utils (make deps, or scripts/install-deps.sh)")

// Validate fails the test unless doc is valid against schema and, when given,
// extraSchemas.
//
// Each schema is a path relative to testdata/ogc-schemas (e.g.
// "ows/1.1.0/owsExceptionReport.xsd"), an absolute path to an .xsd file, or
// the text of a schema itself (anything starting with '<', e.g. a
// DescribeFeatureType response). With one schema from testdata/ogc-schemas,
// xmllint uses it directly; otherwise a wrapper schema importing all of them
// is compiled, which is what a document mixing namespaces needs (a WFS
// GetFeature response is the wfs schema plus the application schema).
//
// Wildcards declared with processContents="lax" (wfs:member, ows:Metadata
// content, ...) accept any element of a namespace no given schema declares,
// unchecked: give every schema whose elements the document carries, such as
// the DescribeFeatureType schema for a GetFeature response.
//
// On failure the test is stopped with xmllint's messages and the numbered
// document.
func Validate(t testing.TB, doc []byte, schema string, extraSchemas ...string) {
	t.Helper()
	if err := Check(doc, schema, extraSchemas...); err != nil {
		t.Fatalf("%v\n%s", err, numbered(doc))
	}
}

// ValidateDTD fails the test unless doc is valid against the DTD its own
// DOCTYPE names (internal subset included), as WMS 1.1.1 documents are. The
// catalog maps the DTD's http://schemas.opengis.net/ system identifier to the
// local copy. A document with no DOCTYPE fails.
func ValidateDTD(t testing.TB, doc []byte) {
	t.Helper()
	if err := CheckDTD(doc); err != nil {
		t.Fatalf("%v\n%s", err, numbered(doc))
	}
}

// Check is Validate without a test: it returns nil when doc is valid, or an
// error carrying xmllint's messages.
func Check(doc []byte, schema string, extra ...string) error {
	env, err := newRun()
	if err != nil {
		return err
	}
	defer env.close()

	schemas := append([]string{schema}, extra...)
	label := strings.Join(labels(schemas), " + ")

	var schemaPath string
	if len(schemas) == 1 && !isInline(schema) && !filepath.IsAbs(schema) {
		schemaPath, err = env.resolve(schema)
		if err != nil {
			return err
		}
	} else {
		schemaPath, err = env.wrapper(schemas)
		if err != nil {
			return err
		}
	}
	return env.xmllint(doc, label, "--schema", schemaPath)
}

// CheckDTD is ValidateDTD without a test: it returns nil when doc is valid
// against its own DOCTYPE, or an error carrying xmllint's messages.
func CheckDTD(doc []byte) error {
	env, err := newRun()
	if err != nil {
		return err
	}
	defer env.close()
	return env.xmllint(doc, "DOCTYPE", "--valid")
}

// Root returns the repository root: the nearest directory at or above the
// working directory that holds go.mod. Tests run in their package's
// directory, so this is the tuiles checkout wherever it is cloned.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("xmlvalid: %w", err)
	}
	for {
		if fi, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !fi.IsDir() {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("xmlvalid: no go.mod found above the working directory")
		}
		dir = parent
	}
}

// run holds what one validation needs: xmllint, the schema folder and a
// scratch directory removed by close.
type run struct {
	bin     string
	schemas string // absolute: libxml2 keys schemas by the path it read them through
	tmp     string
}

func newRun() (*run, error) {
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		return nil, fmt.Errorf("xmlvalid: %w", ErrNoXMLLint)
	}
	root, err := Root()
	if err != nil {
		return nil, err
	}
	dir, err := filepath.EvalSymlinks(filepath.Join(root, SchemaDir))
	if err != nil {
		return nil, fmt.Errorf("xmlvalid: schema folder: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "catalog.xml")); err != nil {
		return nil, fmt.Errorf("xmlvalid: catalog: %w", err)
	}
	tmp, err := os.MkdirTemp("", "xmlvalid")
	if err != nil {
		return nil, fmt.Errorf("xmlvalid: %w", err)
	}
	r := &run{bin: bin, schemas: dir, tmp: tmp}
	if !uriSafe(dir) {
		// libxml2 reaches a relative include of a file in a folder named with,
		// say, a space both as "a b/x.xsd" and "a%20b/x.xsd", parses it twice
		// and fails; a link with a plain name avoids that.
		link := filepath.Join(tmp, "ogc-schemas")
		if err := os.Symlink(dir, link); err != nil || !uriSafe(link) {
			r.close()
			return nil, fmt.Errorf("xmlvalid: the schema folder path %q needs URI escaping, which libxml2 mishandles, and no plain-named link to it could be made in %s: %v", dir, tmp, err)
		}
		r.schemas = link
	}
	return r, nil
}

// uriSafe reports whether path needs no escaping as a URI path.
func uriSafe(path string) bool {
	for _, c := range filepath.ToSlash(path) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.ContainsRune("/-._~+,;=:@!$&()*", c)
		if !ok {
			return false
		}
	}
	return true
}

func (r *run) close() { os.RemoveAll(r.tmp) }

// resolve turns a schema name relative to the schema folder, or an absolute
// path, into an absolute path of an existing file.
func (r *run) resolve(schema string) (string, error) {
	p := filepath.Clean(schema)
	if !filepath.IsAbs(p) {
		p = filepath.Join(r.schemas, filepath.FromSlash(schema))
	}
	fi, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("xmlvalid: schema %s: %w", schema, err)
	}
	if fi.IsDir() {
		return "", fmt.Errorf("xmlvalid: schema %s is a folder", schema)
	}
	return p, nil
}

// xmllint validates doc with the given mode arguments and returns nil or an
// error with xmllint's messages.
func (r *run) xmllint(doc []byte, label string, args ...string) error {
	docPath := filepath.Join(r.tmp, "document.xml")
	if err := os.WriteFile(docPath, doc, 0o600); err != nil {
		return fmt.Errorf("xmlvalid: %w", err)
	}
	args = append([]string{"--nonet", "--noout"}, args...)
	args = append(args, docPath)
	cmd := exec.Command(r.bin, args...)
	cmd.Env = append(os.Environ(), "XML_CATALOG_FILES="+filepath.Join(r.schemas, "catalog.xml"))
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if err == nil {
		return nil
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return fmt.Errorf("xmlvalid: running xmllint: %w", err)
	}
	what := "document is not valid against"
	if exit.ExitCode() == 5 { // xmllint: XMLLINT_ERR_SCHEMACOMP
		what = "schema does not compile:"
	}
	return fmt.Errorf("xmlvalid: %s %s (xmllint exit %d):\n%s",
		what, label, exit.ExitCode(), messages(out.String(), docPath))
}

// wrapper writes a schema importing every given schema (by namespace, each
// namespace once) and returns its path.
//
// libxml2 keys schema documents by the URI they were reached through: a file
// reached once through http://schemas.opengis.net/... (the catalog) and once
// by local path is parsed twice and compilation fails. So, as validate.sh
// does, the OGC schemas that a schema from outside the folder imports by URL
// are imported first by local path; libxml2 then skips the URL import of an
// already imported namespace.
func (r *run) wrapper(schemas []string) (string, error) {
	var body strings.Builder
	imported := map[string]bool{} // by namespace
	included := map[string]bool{} // no-namespace schemas, by path
	addImport := func(ns, loc string) {
		if ns == "" {
			if !included[loc] {
				included[loc] = true
				fmt.Fprintf(&body, "  <xs:include schemaLocation=\"%s\"/>\n", attr(loc))
			}
			return
		}
		if !imported[ns] {
			imported[ns] = true
			fmt.Fprintf(&body, "  <xs:import namespace=\"%s\" schemaLocation=\"%s\"/>\n", attr(ns), attr(loc))
		}
	}
	for i, s := range schemas {
		var p string
		if isInline(s) {
			p = filepath.Join(r.tmp, fmt.Sprintf("schema%d.xsd", i))
			if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
				return "", fmt.Errorf("xmlvalid: %w", err)
			}
		} else {
			var err error
			if p, err = r.resolve(s); err != nil {
				return "", err
			}
		}
		info, err := readSchemaHead(p)
		if err != nil {
			return "", fmt.Errorf("xmlvalid: schema %s: %w", labels([]string{s})[0], err)
		}
		if !strings.HasPrefix(p, r.schemas+string(filepath.Separator)) {
			for _, imp := range info.imports {
				for _, prefix := range []string{"http://schemas.opengis.net/", "https://schemas.opengis.net/"} {
					rel, ok := strings.CutPrefix(imp.location, prefix)
					if !ok || imp.namespace == "" {
						continue
					}
					local := filepath.Join(r.schemas, filepath.FromSlash(rel))
					if _, err := os.Stat(local); err == nil {
						addImport(imp.namespace, local)
					}
				}
			}
		}
		addImport(info.targetNamespace, p)
	}
	w := filepath.Join(r.tmp, "wrapper.xsd")
	text := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
		"<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n" +
		body.String() + "</xs:schema>\n"
	if err := os.WriteFile(w, []byte(text), 0o600); err != nil {
		return "", fmt.Errorf("xmlvalid: %w", err)
	}
	return w, nil
}

type schemaImport struct{ namespace, location string }

type schemaHead struct {
	targetNamespace string
	imports         []schemaImport
}

// readSchemaHead reads an XML Schema's targetNamespace and its top-level
// xs:import elements.
func readSchemaHead(path string) (schemaHead, error) {
	var h schemaHead
	f, err := os.Open(path)
	if err != nil {
		return h, err
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	const xsNS = "http://www.w3.org/2001/XMLSchema"
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return h, err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1:
				if el.Name.Space != xsNS || el.Name.Local != "schema" {
					return h, fmt.Errorf("root element is {%s}%s, not xs:schema", el.Name.Space, el.Name.Local)
				}
				h.targetNamespace = attrValue(el, "targetNamespace")
			case depth == 2 && el.Name.Space == xsNS && el.Name.Local == "import":
				h.imports = append(h.imports, schemaImport{
					namespace: attrValue(el, "namespace"),
					location:  attrValue(el, "schemaLocation"),
				})
			}
		case xml.EndElement:
			depth--
			if depth == 0 {
				return h, nil
			}
		}
	}
	return h, errors.New("no xs:schema root element")
}

func attrValue(el xml.StartElement, local string) string {
	for _, a := range el.Attr {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func attr(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // escapes quotes too
	return b.String()
}

func isInline(schema string) bool {
	return strings.HasPrefix(strings.TrimSpace(schema), "<")
}

// labels names schemas for messages; inline schema text is not repeated.
func labels(schemas []string) []string {
	out := make([]string, len(schemas))
	for i, s := range schemas {
		if isInline(s) {
			out[i] = fmt.Sprintf("(inline schema #%d)", i+1)
		} else {
			out[i] = s
		}
	}
	return out
}

// messages keeps xmllint's useful lines: the summary lines and the notices
// about imports skipped on purpose (see wrapper) are dropped, and the scratch
// file name is shortened.
func messages(out, docPath string) string {
	var keep []string
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if strings.Contains(line, "Skipping import of schema located at") ||
			strings.HasSuffix(line, " validates") || strings.HasSuffix(line, " fails to validate") {
			continue
		}
		keep = append(keep, strings.ReplaceAll(line, docPath, "document"))
	}
	if len(keep) == 0 {
		return "(no message from xmllint)"
	}
	return strings.Join(keep, "\n")
}

// numbered returns the document with line numbers, to read xmllint's line
// references against; long documents are cut.
func numbered(doc []byte) string {
	const maxLines = 400
	lines := strings.Split(string(doc), "\n")
	var b strings.Builder
	b.WriteString("--- document ---\n")
	for i, l := range lines {
		if i == maxLines {
			fmt.Fprintf(&b, "... (%d more lines)\n", len(lines)-maxLines)
			break
		}
		fmt.Fprintf(&b, "%4d  %s\n", i+1, l)
	}
	return b.String()
}

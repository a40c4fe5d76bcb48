package wfs

import (
	"bytes"
	"strings"
)

// xmlDoc builds the small generated documents (capabilities, stored
// query descriptions) with indentation, escaping every text and attribute
// value.
type xmlDoc struct {
	b     bytes.Buffer
	depth int
}

func newXMLDoc() *xmlDoc {
	d := &xmlDoc{}
	d.b.WriteString(xmlHeader)
	return d
}

func (d *xmlDoc) indent() {
	d.b.WriteString(strings.Repeat("  ", d.depth))
}

// tag writes "<name a="v" ...", attrs being name/value pairs.
func (d *xmlDoc) tag(name string, attrs []string) {
	d.indent()
	d.b.WriteByte('<')
	d.b.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		d.b.WriteByte(' ')
		d.b.WriteString(attrs[i])
		d.b.WriteString(`="`)
		d.b.Write(appendXML(nil, attrs[i+1]))
		d.b.WriteByte('"')
	}
}

// open starts an element with children.
func (d *xmlDoc) open(name string, attrs ...string) {
	d.tag(name, attrs)
	d.b.WriteString(">\n")
	d.depth++
}

// close ends the element open started.
func (d *xmlDoc) close(name string) {
	d.depth--
	d.indent()
	d.b.WriteString("</" + name + ">\n")
}

// leaf writes an element holding text.
func (d *xmlDoc) leaf(name, text string, attrs ...string) {
	d.tag(name, attrs)
	d.b.WriteByte('>')
	d.b.Write(appendXML(nil, text))
	d.b.WriteString("</" + name + ">\n")
}

// empty writes an element with no content.
func (d *xmlDoc) empty(name string, attrs ...string) {
	d.tag(name, attrs)
	d.b.WriteString("/>\n")
}

func (d *xmlDoc) bytes() []byte { return d.b.Bytes() }

package wfs

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Limits on XML request bodies, beyond the byte limit. The filter package
// bounds filters (64 levels, 10 000 nodes); a request wraps its filter in
// a few more levels and may hold several queries.
const (
	maxXMLDepth = 100
	maxXMLNodes = 100_000
)

// errDTD is the refusal of a document type declaration: entities are the
// way to XXE and billion-laughs attacks, and no WFS request needs one.
var errDTD = errors.New("DTDs and entity declarations are not allowed")

// xnode is one element of an XML request, keeping the prefixes and
// namespace declarations as written so that a subtree (a filter) can be
// written back out on its own, and QName values (typeNames="t:roads")
// resolved in its scope.
type xnode struct {
	// space is the namespace URI of the element, local its local name,
	// raw its name as written.
	space, local, raw string
	// attrs are the attributes with their names as written (Name.Space
	// holds the prefix), declarations excepted.
	attrs []xml.Attr
	// decls are the namespace declarations on the element: prefix (""
	// for the default namespace) to URI.
	decls  map[string]string
	kids   []any // string (character data) or *xnode, in document order
	parent *xnode
}

// parseXML reads a request body into a tree. It refuses DTDs and entity
// references (encoding/xml never resolves external entities, and in strict
// mode any entity but the five predefined ones is an error), and documents
// nested or sized beyond the limits.
func parseXML(r io.Reader) (*xnode, error) {
	d := xml.NewDecoder(r)
	d.Strict = true
	var root, cur *xnode
	nodes := 0
	depth := 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && cur == nil {
				return nil, errors.New("content after the root element")
			}
			nodes++
			depth++
			if nodes > maxXMLNodes || depth > maxXMLDepth {
				return nil, fmt.Errorf("the document is nested deeper than %d levels or holds more than %d elements", maxXMLDepth, maxXMLNodes)
			}
			n := &xnode{local: t.Name.Local, raw: rawName(t.Name), parent: cur}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					n.declare(a.Name.Local, a.Value)
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					n.declare("", a.Value)
				default:
					n.attrs = append(n.attrs, a)
				}
			}
			uri, ok := n.lookup(t.Name.Space)
			if !ok {
				return nil, fmt.Errorf("prefix %q of element %s is not declared", t.Name.Space, clip(n.raw))
			}
			n.space = uri
			if cur != nil {
				cur.kids = append(cur.kids, n)
			} else {
				root = n
			}
			cur = n
		case xml.EndElement:
			if cur == nil || rawName(t.Name) != cur.raw {
				return nil, fmt.Errorf("end tag %s does not match", clip(rawName(t.Name)))
			}
			depth--
			cur = cur.parent
		case xml.CharData:
			if cur != nil {
				cur.kids = append(cur.kids, string(t))
			} else if strings.TrimSpace(string(t)) != "" {
				return nil, errors.New("text outside the root element")
			}
		case xml.Directive:
			return nil, errDTD
		}
	}
	if root == nil {
		return nil, errors.New("the body holds no XML element")
	}
	if cur != nil {
		return nil, errors.New("the document ends inside an element")
	}
	return root, nil
}

func rawName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

func (n *xnode) declare(prefix, uri string) {
	if n.decls == nil {
		n.decls = map[string]string{}
	}
	n.decls[prefix] = uri
}

// lookup resolves a prefix in the element's scope.
func (n *xnode) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return "http://www.w3.org/XML/1998/namespace", true
	}
	for e := n; e != nil; e = e.parent {
		if uri, ok := e.decls[prefix]; ok {
			return uri, true
		}
	}
	// No default namespace declared: elements are in no namespace.
	return "", prefix == ""
}

// scope returns every declaration in force at n.
func (n *xnode) scope() namespaces {
	ns := namespaces{}
	for e := n; e != nil; e = e.parent {
		for p, uri := range e.decls {
			if _, shadowed := ns[p]; !shadowed {
				ns[p] = uri
			}
		}
	}
	return ns
}

// attr returns the value of an unprefixed attribute.
func (n *xnode) attr(local string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// text is the character data directly inside n, trimmed.
func (n *xnode) text() string {
	var b strings.Builder
	for _, k := range n.kids {
		if s, ok := k.(string); ok {
			b.WriteString(s)
		}
	}
	return strings.TrimSpace(b.String())
}

// children returns the child elements of n in namespace space (any when
// space is "*") named local (any when "").
func (n *xnode) children(space, local string) []*xnode {
	var out []*xnode
	for _, k := range n.kids {
		if c, ok := k.(*xnode); ok && (space == "*" || c.space == space) && (local == "" || c.local == local) {
			out = append(out, c)
		}
	}
	return out
}

// serialize writes the subtree of n as a document of its own, with every
// namespace declaration in scope at n repeated on it.
func (n *xnode) serialize() []byte {
	inherited := map[string]string{}
	for p, uri := range n.scope() {
		if _, own := n.decls[p]; !own {
			inherited[p] = uri
		}
	}
	return n.write(nil, inherited)
}

func (n *xnode) write(b []byte, extra map[string]string) []byte {
	b = append(b, '<')
	b = append(b, n.raw...)
	decl := func(b []byte, p, uri string) []byte {
		if p == "" {
			b = append(b, ` xmlns="`...)
		} else {
			b = append(b, " xmlns:"+p+`="`...)
		}
		b = appendXML(b, uri)
		return append(b, '"')
	}
	// Sorted, so that the same request always gives the same text (and the
	// same paging links).
	for _, m := range []map[string]string{n.decls, extra} {
		keys := make([]string, 0, len(m))
		for p := range m {
			keys = append(keys, p)
		}
		sort.Strings(keys)
		for _, p := range keys {
			b = decl(b, p, m[p])
		}
	}
	for _, a := range n.attrs {
		b = append(b, ' ')
		b = append(b, rawName(a.Name)...)
		b = append(b, `="`...)
		b = appendXML(b, a.Value)
		b = append(b, '"')
	}
	if len(n.kids) == 0 {
		return append(b, "/>"...)
	}
	b = append(b, '>')
	for _, k := range n.kids {
		switch k := k.(type) {
		case string:
			b = appendXML(b, k)
		case *xnode:
			b = k.write(b, nil)
		}
	}
	b = append(b, "</"...)
	b = append(b, n.raw...)
	return append(b, '>')
}

package styles

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits on the documents Parse accepts, so that a hostile SLD cannot
// exhaust memory.
const (
	MaxInputSize = 4 << 20
	MaxDepth     = 64
	MaxElements  = 100_000
)

// node is an element of the parsed document; text chunks are nodes with an
// empty name.
type node struct {
	name       xml.Name
	attrs      []xml.Attr
	kids       []*node
	text       []byte // for text nodes
	parent     *node
	line, col  int
	start, end int64 // byte offsets of the element in the input
}

func (n *node) isText() bool { return n.name.Local == "" }

// attr returns the attribute value by local name (any namespace).
func (n *node) attr(local string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Local == local && a.Name.Space != "xmlns" && !(a.Name.Space == "" && a.Name.Local == "xmlns") {
			return a.Value, true
		}
	}
	return "", false
}

// textContent is the concatenated direct character data.
func (n *node) textContent() string {
	var b strings.Builder
	for _, k := range n.kids {
		if k.isText() {
			b.Write(k.text)
		}
	}
	return b.String()
}

// elements are the element children.
func (n *node) elements() []*node {
	var out []*node
	for _, k := range n.kids {
		if !k.isText() {
			out = append(out, k)
		}
	}
	return out
}

// decodeTree reads the whole document. Errors are returned as *Error
// located where the decoder stopped.
func decodeTree(file string, data []byte) (*node, error) {
	if len(data) > MaxInputSize {
		return nil, &Error{File: file, Msg: fmt.Sprintf("document larger than %d bytes", MaxInputSize), Err: ErrInvalid}
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var root, cur *node
	count := 0
	depth := 0
	for {
		line, col := d.InputPos()
		off := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			msg := err.Error()
			if errors.As(err, &se) {
				msg = "malformed XML: " + se.Msg
				line, col = se.Line, 0
			}
			return nil, &Error{File: file, Line: line, Column: col, Path: path(cur), Msg: msg, Err: ErrInvalid}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if cur == nil && root != nil {
				return nil, &Error{File: file, Line: line, Column: col, Msg: "more than one root element", Err: ErrInvalid}
			}
			count++
			depth++
			if count > MaxElements {
				return nil, &Error{File: file, Line: line, Column: col, Path: path(cur), Msg: fmt.Sprintf("more than %d elements", MaxElements), Err: ErrInvalid}
			}
			if depth > MaxDepth {
				return nil, &Error{File: file, Line: line, Column: col, Path: path(cur), Msg: fmt.Sprintf("elements nested deeper than %d", MaxDepth), Err: ErrInvalid}
			}
			n := &node{name: t.Name, attrs: append([]xml.Attr(nil), t.Attr...), parent: cur, line: line, col: col, start: off}
			if cur == nil {
				root = n
			} else {
				cur.kids = append(cur.kids, n)
			}
			cur = n
		case xml.EndElement:
			cur.end = d.InputOffset()
			cur = cur.parent
			depth--
		case xml.CharData:
			if cur == nil {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, &Error{File: file, Line: line, Column: col, Msg: "text outside the root element", Err: ErrInvalid}
				}
				continue
			}
			// Appending in place keeps text split by comments or CDATA
			// sections linear to read.
			if k := len(cur.kids); k > 0 && cur.kids[k-1].isText() {
				cur.kids[k-1].text = append(cur.kids[k-1].text, t...)
			} else {
				cur.kids = append(cur.kids, &node{text: append([]byte(nil), t...), parent: cur, line: line, col: col})
			}
		case xml.Directive:
			return nil, &Error{File: file, Line: line, Column: col, Path: path(cur), Msg: "DOCTYPE and other directives are not allowed", Err: ErrInvalid}
		case xml.ProcInst:
			if t.Target == "xml" && cur == nil && root == nil {
				continue
			}
			if cur == nil {
				continue
			}
		}
	}
	if root == nil {
		return nil, &Error{File: file, Line: 1, Msg: "empty document", Err: ErrInvalid}
	}
	return root, nil
}

// path is the element path from the root, names only.
func path(n *node) string {
	var parts []string
	for ; n != nil; n = n.parent {
		if n.isText() {
			continue
		}
		parts = append(parts, n.name.Local)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, "/")
}

// standalone returns the element's bytes as a document of its own: the
// original text of the subtree with the namespace declarations of its
// ancestors added to its start tag.
func standalone(data []byte, n *node) []byte {
	raw := data[n.start:n.end]
	own := map[string]bool{}
	for _, a := range n.attrs {
		if a.Name.Space == "xmlns" {
			own["xmlns:"+a.Name.Local] = true
		} else if a.Name.Space == "" && a.Name.Local == "xmlns" {
			own["xmlns"] = true
		}
	}
	var decl strings.Builder
	for p := n.parent; p != nil; p = p.parent {
		for _, a := range p.attrs {
			var key string
			switch {
			case a.Name.Space == "xmlns":
				key = "xmlns:" + a.Name.Local
			case a.Name.Space == "" && a.Name.Local == "xmlns":
				key = "xmlns"
			default:
				continue
			}
			if own[key] {
				continue
			}
			own[key] = true
			decl.WriteString(" " + key + `="`)
			xml.EscapeText(&decl, []byte(a.Value))
			decl.WriteString(`"`)
		}
	}
	// Insert after "<" + qualified name.
	i := 1
	for i < len(raw) && !isSpaceOrEnd(raw[i]) {
		i++
	}
	out := make([]byte, 0, len(raw)+decl.Len())
	out = append(out, raw[:i]...)
	out = append(out, decl.String()...)
	out = append(out, raw[i:]...)
	return out
}

func isSpaceOrEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '>' || c == '/'
}

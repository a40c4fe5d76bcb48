package filter

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Limits on filter documents. Filters come straight from requests, so every
// dimension of the work they cause is bounded before it is done; a document
// beyond a limit is ErrInvalid.
const (
	// MaxInputSize is the largest filter document, in bytes.
	MaxInputSize = 4 << 20
	// MaxDepth is the deepest element nesting (logical operators and GML
	// geometries count alike).
	MaxDepth = 64
	// MaxNodes is the most elements and attributes in one document.
	MaxNodes = 10_000
	// MaxLiteralLength is the longest literal, property name, identifier
	// or attribute value, in bytes. Coordinate lists are bounded by
	// MaxCoordinates instead.
	MaxLiteralLength = 64 << 10
	// MaxCoordinates is the most positions in all the geometries of one
	// filter.
	MaxCoordinates = 1_000_000
)

// node is one element of a parsed document.
type node struct {
	name     xml.Name
	attrs    []xml.Attr
	children []*node
	text     string // character data directly inside the element
	parent   *node
}

// path names the element and its ancestors for error messages, e.g.
// "Filter/And/PropertyIsLike".
func (n *node) path() string {
	var parts []string
	for m := n; m != nil; m = m.parent {
		parts = append(parts, m.name.Local)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString(parts[i])
		if i > 0 {
			b.WriteByte('/')
		}
	}
	return b.String()
}

// attr returns the value of the unqualified attribute local, or of a
// qualified one when the document qualifies it (some clients write
// fes:matchCase); namespace declarations are skipped.
func (n *node) attr(local string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Local == local && a.Name.Space != "xmlns" && !(a.Name.Space == "" && a.Name.Local == "xmlns") {
			return a.Value, true
		}
	}
	return "", false
}

// elements returns the element children.
func (n *node) elements() []*node { return n.children }

// hasText tells whether the element holds non-space character data.
func (n *node) hasText() bool { return strings.TrimSpace(n.text) != "" }

// decodeTree parses a document into elements, refusing DTDs and entities
// and enforcing the limits above. encoding/xml never fetches external
// entities, and in strict mode it rejects undefined ones; a DOCTYPE is
// refused outright so that no entity declaration (billion laughs, external
// references) is ever looked at.
func decodeTree(data []byte) (*node, error) {
	if len(data) > MaxInputSize {
		return nil, fmt.Errorf("%w: filter document of %d bytes exceeds the limit of %d", ErrInvalid, len(data), MaxInputSize)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = charsetReader
	var (
		root  *node
		stack []*node
		texts []*strings.Builder
		count int
	)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: malformed XML: %v", ErrInvalid, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count += 1 + len(t.Attr)
			if count > MaxNodes {
				return nil, fmt.Errorf("%w: more than %d elements and attributes", ErrInvalid, MaxNodes)
			}
			if len(stack) >= MaxDepth {
				return nil, fmt.Errorf("%w: elements nested deeper than %d at %s", ErrInvalid, MaxDepth, t.Name.Local)
			}
			if len(stack) == 0 && root != nil {
				return nil, fmt.Errorf("%w: more than one root element", ErrInvalid)
			}
			n := &node{name: t.Name, attrs: t.Copy().Attr}
			for _, a := range n.attrs {
				if len(a.Value) > MaxLiteralLength {
					return nil, fmt.Errorf("%w: %s: attribute %s longer than %d bytes", ErrInvalid, n.name.Local, a.Name.Local, MaxLiteralLength)
				}
			}
			if len(stack) == 0 {
				root = n
			} else {
				parent := stack[len(stack)-1]
				n.parent = parent
				parent.children = append(parent.children, n)
			}
			stack = append(stack, n)
			texts = append(texts, &strings.Builder{})
		case xml.EndElement:
			// The decoder has checked that it matches.
			n := stack[len(stack)-1]
			n.text = texts[len(texts)-1].String()
			stack, texts = stack[:len(stack)-1], texts[:len(texts)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, fmt.Errorf("%w: text outside the root element", ErrInvalid)
				}
				continue
			}
			texts[len(texts)-1].Write(t)
		case xml.Directive:
			if bytes.HasPrefix(bytes.TrimSpace(t), []byte("DOCTYPE")) {
				return nil, fmt.Errorf("%w: DOCTYPE declarations are not allowed", ErrInvalid)
			}
			return nil, fmt.Errorf("%w: <!%s> declarations are not allowed", ErrInvalid, firstWord(t))
		case xml.ProcInst, xml.Comment:
		}
	}
	if root == nil {
		return nil, fmt.Errorf("%w: empty filter document", ErrInvalid)
	}
	return root, nil
}

func firstWord(b []byte) string {
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return short(f[0])
}

// charsetReader accepts the single-byte encodings clients still declare;
// anything else is refused rather than misread.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii":
	default:
		return nil, fmt.Errorf("unsupported encoding %q", short(label))
	}
	raw, err := io.ReadAll(io.LimitReader(in, MaxInputSize+1))
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.Grow(len(raw))
	for _, c := range raw {
		b.WriteRune(rune(c)) // Latin-1 bytes are the first 256 code points
	}
	return strings.NewReader(b.String()), nil
}

// short quotes user text for error messages, cut to a readable length.
func short(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

package config

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// decoder fills Config from the YAML syntax tree itself, field by field,
// instead of handing the whole tree to yaml.NodeToValue: that stops at the
// first problem, and errors from custom unmarshalers lose their position,
// while `tuiles check` must list every problem with its line. Scalars are
// still converted by go-yaml, and after a clean walk the tree is decoded
// once more by go-yaml in strict mode as a cross-check (see Load).
//
// Keys are matched against the `yaml` struct tags; a key without a field is
// a problem (the strict mode users expect), as is a value of the wrong
// shape. Decoding goes on after a problem so that later ones are found too.
type decoder struct {
	file    string
	anchors map[string]ast.Node
	// pos holds the position of every key path met, nulls the paths whose
	// value was null: both let Load tell an absent key from a given one.
	pos      map[string]Position
	nulls    map[string]bool
	keyPos   map[string]Position
	problems Problems
}

// ExtensionPrefix marks keys that Load ignores, as Docker Compose does
// with x-: a place to define YAML anchors shared by several layers.
const ExtensionPrefix = "x-"

// maxDepth bounds recursion, which an alias to an enclosing anchor would
// otherwise make infinite. Real configurations are less than ten deep.
const maxDepth = 32

func newDecoder(file string, body ast.Node) *decoder {
	d := &decoder{file: file, anchors: map[string]ast.Node{}, pos: map[string]Position{}, nulls: map[string]bool{}, keyPos: map[string]Position{}}
	for _, n := range ast.Filter(ast.AnchorType, body) {
		if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil && a.Name.GetToken() != nil {
			d.anchors[a.Name.GetToken().Value] = a.Value
		}
	}
	return d
}

func position(n ast.Node) Position {
	if n == nil {
		return Position{}
	}
	// A block mapping's token is the ':' of its first entry; its first
	// key is where a reader looks for it.
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 && m.Values[0].Key != nil {
		return position(m.Values[0].Key)
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return Position{}
	}
	return Position{Line: tk.Position.Line, Col: tk.Position.Column}
}

func (d *decoder) addAt(p Position, key, format string, args ...any) {
	d.problems = append(d.problems, Problem{File: d.file, Line: p.Line, Col: p.Col, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// resolve follows anchors and aliases to the node holding the value.
func (d *decoder) resolve(n ast.Node, path string) (ast.Node, bool) {
	for range maxDepth {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.AliasNode:
			name := ""
			if x.Value != nil && x.Value.GetToken() != nil {
				name = x.Value.GetToken().Value
			}
			target, ok := d.anchors[name]
			if !ok {
				d.addAt(position(x), path, "alias *%s names no anchor", name)
				return nil, false
			}
			n = target
		case *ast.TagNode:
			// Tags on collections say nothing tuiles uses; tags on scalars
			// (!!str 42) are left for go-yaml's scalar conversion.
			if x.Value != nil && (x.Value.Type() == ast.MappingType || x.Value.Type() == ast.SequenceType) {
				n = x.Value
				continue
			}
			return n, true
		default:
			return n, true
		}
	}
	d.addAt(position(n), path, "anchors and aliases nest too deeply")
	return nil, false
}

// decode stores node n into v, whose key path is path.
func (d *decoder) decode(n ast.Node, v reflect.Value, path string, depth int) {
	if depth > maxDepth {
		d.addAt(position(n), path, "nested too deeply")
		return
	}
	d.pos[path] = position(n)
	n, ok := d.resolve(n, path)
	if !ok {
		return
	}
	if n == nil || n.Type() == ast.NullType {
		// A null value (a key with nothing after it) leaves the default.
		d.nulls[path] = true
		return
	}
	if v.Kind() != reflect.Struct && v.Kind() != reflect.Slice || v.Addr().Type().Implements(reflect.TypeFor[yaml.BytesUnmarshaler]()) {
		d.scalar(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		m := mappingOf(n)
		if m == nil {
			d.addAt(position(n), path, "want a mapping of keys to values, got %s", describe(n))
			return
		}
		d.mapping(m, v, path, depth)
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			d.addAt(position(n), path, "want a list, got %s", describe(n))
			return
		}
		out := reflect.MakeSlice(v.Type(), 0, len(seq.Values))
		for i, e := range seq.Values {
			elem := reflect.New(v.Type().Elem()).Elem()
			d.decode(e, elem, path+"["+strconv.Itoa(i)+"]", depth+1)
			out = reflect.Append(out, elem)
		}
		v.Set(out)
	}
}

func mappingOf(n ast.Node) *ast.MappingNode {
	switch x := n.(type) {
	case *ast.MappingNode:
		return x
	case *ast.MappingValueNode:
		return &ast.MappingNode{BaseNode: x.BaseNode, Values: []*ast.MappingValueNode{x}}
	}
	return nil
}

// mapping decodes the keys of m into the struct v. Merge keys (<<) are
// applied first so that the mapping's own keys override what they bring.
func (d *decoder) mapping(m *ast.MappingNode, v reflect.Value, path string, depth int) {
	fields, names := structFields(v.Type())
	for _, mv := range m.Values {
		if mv.Key == nil || !mv.Key.IsMergeKey() {
			continue
		}
		src, ok := d.resolve(mv.Value, path)
		if !ok {
			continue
		}
		var sources []ast.Node
		if seq, isSeq := src.(*ast.SequenceNode); isSeq {
			sources = seq.Values
		} else {
			sources = []ast.Node{src}
		}
		for _, s := range sources {
			s, ok := d.resolve(s, path)
			if !ok {
				continue
			}
			sm := mappingOf(s)
			if sm == nil {
				d.addAt(position(mv.Value), path, "<< merges a mapping, got %s", describe(s))
				continue
			}
			d.mapping(sm, v, path, depth+1)
		}
	}
	for _, mv := range m.Values {
		if mv.Key == nil || mv.Key.IsMergeKey() {
			continue
		}
		key := ""
		if tk := mv.Key.GetToken(); tk != nil {
			key = tk.Value
		}
		keyPath := key
		if path != "" {
			keyPath = path + "." + key
		}
		if strings.HasPrefix(key, ExtensionPrefix) {
			continue
		}
		d.keyPos[keyPath] = position(mv.Key)
		idx, known := fields[key]
		if !known {
			d.addAt(position(mv.Key), keyPath, "unknown key %q (known: %s)", key, strings.Join(names, ", "))
			continue
		}
		d.decode(mv.Value, v.Field(idx), keyPath, depth+1)
	}
}

// structFields maps the yaml names of t's exported fields to their indexes,
// and lists the names for messages.
func structFields(t reflect.Type) (map[string]int, []string) {
	fields := map[string]int{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = i
		names = append(names, name)
	}
	sort.Strings(names)
	return fields, names
}

// scalar converts a leaf with go-yaml, replacing its messages, which speak
// of Go types, with ones that speak of the configuration.
func (d *decoder) scalar(n ast.Node, v reflect.Value, path string) {
	if t := n.Type(); t == ast.MappingType || t == ast.MappingValueType || t == ast.SequenceType {
		d.addAt(position(n), path, "want %s, got %s", want(v.Type()), describe(n))
		return
	}
	p := reflect.New(v.Type())
	err := yaml.NodeToValue(n, p.Interface())
	if err == nil {
		v.Set(p.Elem())
		return
	}
	var overflow *yaml.OverflowError
	var yerr yaml.Error
	switch {
	case errors.As(err, &overflow):
		d.addAt(position(n), path, "%s is too large", describe(n))
	case errors.As(err, &yerr):
		d.addAt(position(n), path, "want %s, got %s", want(v.Type()), describe(n))
	default:
		// Our own unmarshalers (Duration, Color) already speak plainly.
		d.addAt(position(n), path, "%s", err.Error())
	}
}

func want(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "a mapping"
	}
	return "a " + t.Name()
}

func describe(n ast.Node) string {
	switch n.Type() {
	case ast.MappingType, ast.MappingValueType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	case ast.NullType:
		return "nothing"
	}
	s := n.String()
	if tk := n.GetToken(); tk != nil {
		s = tk.Value
	}
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strconv.Quote(s)
}

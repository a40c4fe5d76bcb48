package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store/filter"
)

// plan is a Query resolved against a layer: the SQL to run and what Go
// still does with each row.
type plan struct {
	l *layerInfo
	// where holds the WHERE conditions and args their arguments, shared
	// by the row and count queries.
	where []string
	args  []any
	// exact says whether SQL selects exactly the matching rows; when
	// false, post holds the filter every candidate row must pass.
	exact  bool
	post   filter.Filter
	schema filter.Schema
	// fields are the indexes (into l.Fields) of the columns selected after
	// the id and geometry; out maps Feature.Properties to positions in
	// fields.
	fields []int
	out    []int
	order  string
	offset int
	limit  int
}

// Features streams the features of q.Layer that match q, in q.SortBy order
// then by id (so pages of Offset/Limit are disjoint and stable). Query
// errors — unknown layer (ErrNotFound), unknown or unsortable property
// (filter.ErrUnknownProperty), malformed filter or query
// (filter.ErrInvalid) — are yielded before any feature. The underlying
// SQLite statement runs while the caller iterates: stop iterating (or
// cancel ctx) to release it.
func (s *Store) Features(ctx context.Context, q Query) iter.Seq2[Feature, error] {
	return func(yield func(Feature, error) bool) {
		p, err := s.plan(q)
		if err != nil {
			yield(Feature{}, err)
			return
		}
		start, rows := time.Now(), int64(0)
		counted := func(f Feature, err error) bool {
			rows++
			return yield(f, err)
		}
		err = p.run(ctx, s.rdb, counted)
		if s.observe != nil {
			s.observe(QueryStats{Table: q.Layer, Rows: rows, Elapsed: time.Since(start), Err: err})
		}
		if err != nil {
			yield(Feature{}, fmt.Errorf("query layer %q: %w", q.Layer, err))
		}
	}
}

// Count returns how many features match q, ignoring Offset and Limit: with
// COUNT(*) in SQL when the filter translates exactly, else by evaluating
// the candidates one by one.
func (s *Store) Count(ctx context.Context, q Query) (n int64, err error) {
	q.Offset, q.Limit, q.SortBy = 0, 0, nil
	q.Properties = []string{}
	p, err := s.plan(q)
	if err != nil {
		return 0, err
	}
	if s.observe != nil {
		start := time.Now()
		defer func() { s.observe(QueryStats{Table: q.Layer, Rows: n, Elapsed: time.Since(start), Err: err}) }()
	}
	if p.exact {
		err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM `+quote(p.l.Name)+p.whereClause(), p.args...).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("count layer %q: %w", q.Layer, ctxErr(ctx, err))
		}
		return n, nil
	}
	err = p.run(ctx, s.rdb, func(Feature, error) bool { n++; return true })
	if err != nil {
		return 0, fmt.Errorf("count layer %q: %w", q.Layer, err)
	}
	return n, nil
}

func (s *Store) plan(q Query) (*plan, error) {
	l, err := s.layer(q.Layer)
	if err != nil {
		return nil, err
	}
	p := &plan{l: l, exact: true, schema: l.Schema(), offset: q.Offset, limit: q.Limit}
	if q.Offset < 0 || q.Limit < 0 {
		return nil, fmt.Errorf("%w: negative offset or limit", filter.ErrInvalid)
	}
	id := quote(l.IDColumn)

	if b := q.BBox; b != nil {
		if anyNaN(b.MinX, b.MinY, b.MaxX, b.MaxY) || b.MinX > b.MaxX || b.MinY > b.MaxY {
			return nil, fmt.Errorf("%w: bounding box %v", filter.ErrInvalid, *b)
		}
		p.addBBox(*b)
	}
	if len(q.IDs) > 0 {
		// One JSON argument whatever the number of ids, below SQLite's
		// limit on bound parameters.
		var sb strings.Builder
		sb.WriteByte('[')
		for i, v := range q.IDs {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.FormatInt(v, 10))
		}
		sb.WriteByte(']')
		p.where = append(p.where, id+` IN (SELECT value FROM json_each(?))`)
		p.args = append(p.args, sb.String())
	}
	if q.Filter != nil {
		if err := p.addFilter(s, q.Filter); err != nil {
			return nil, err
		}
	}

	// Projection: with a post-filter every field is read, since the filter
	// may name any of them.
	if q.Properties != nil {
		p.out = make([]int, len(q.Properties))
		for i, name := range q.Properties {
			fi, err := p.fieldIndex(name, "property")
			if err != nil {
				return nil, err
			}
			p.out[i] = fi
		}
	}
	if !p.exact || q.Properties == nil {
		p.fields = make([]int, len(l.Fields))
		for i := range l.Fields {
			p.fields[i] = i
		}
		if q.Properties == nil {
			p.out = p.fields
		}
	} else {
		// Select each projected field once; out then points into fields.
		pos := map[int]int{}
		for i, fi := range p.out {
			j, ok := pos[fi]
			if !ok {
				j = len(p.fields)
				pos[fi] = j
				p.fields = append(p.fields, fi)
			}
			p.out[i] = j
		}
	}

	var order []string
	byID := false
	for _, sb := range q.SortBy {
		col := l.IDColumn
		if sb.Property != "" {
			prop, ok := p.schema.Property(sb.Property)
			if !ok {
				return nil, fmt.Errorf("%w: cannot sort by %q", filter.ErrUnknownProperty, sb.Property)
			}
			if prop.Kind == filter.Geometry {
				return nil, fmt.Errorf("%w: cannot sort by the geometry %q", filter.ErrInvalid, sb.Property)
			}
			col = prop.Column
		}
		term := quote(col)
		if sb.Desc {
			term += " DESC"
		}
		order = append(order, term)
		if col == l.IDColumn {
			byID = true
			break // the id is unique: later keys cannot matter
		}
	}
	if !byID {
		// The id breaks ties, so that the order, and pages, are stable.
		order = append(order, id)
	}
	p.order = " ORDER BY " + strings.Join(order, ", ")
	return p, nil
}

// addBBox selects the features whose envelope meets b, exactly: the
// R-tree stores float32 boxes rounded outwards, so its answer may hold
// features just outside b. Those can only be near b's edges, so the exact
// (and costly: a Go callback) envelope test runs only for candidates that
// do not also meet b shrunk by more than the rounding.
func (p *plan) addBBox(b crs.Bounds) {
	ob := orb.Bound{Min: orb.Point{b.MinX, b.MinY}, Max: orb.Point{b.MaxX, b.MaxY}}
	cond, args := p.envelopeCondition(ob)
	if p.l.rtree == "" {
		// Without an index the condition is the exact test already.
		p.where = append(p.where, cond)
		p.args = append(p.args, args...)
		return
	}
	exact := envelopeIntersectsFunc + `(` + quote(p.l.GeometryColumn) + `, ?, ?, ?, ?)`
	exactArgs := []any{b.MinX, b.MinY, b.MaxX, b.MaxY}
	// A float32 is within 2^-23 of the double it rounds; 2^-20 is ample.
	dx := math.Max(math.Abs(b.MinX), math.Abs(b.MaxX))*0x1p-20 + 1e-30
	dy := math.Max(math.Abs(b.MinY), math.Abs(b.MaxY))*0x1p-20 + 1e-30
	inner := orb.Bound{Min: orb.Point{b.MinX + dx, b.MinY + dy}, Max: orb.Point{b.MaxX - dx, b.MaxY - dy}}
	innerCond, innerArgs := p.envelopeCondition(inner)
	// CASE fixes the order: SQLite would otherwise run the cheap-looking
	// function before the subquery, for every candidate.
	p.where = append(p.where, cond, `CASE WHEN `+innerCond+` THEN 1 ELSE `+exact+` END`)
	p.args = append(p.args, args...)
	p.args = append(p.args, innerArgs...)
	p.args = append(p.args, exactArgs...)
}

// fieldIndex resolves a requested property to a field of the layer.
func (p *plan) fieldIndex(name, what string) (int, error) {
	prop, ok := p.schema.Property(name)
	if ok {
		if i, ok := p.l.fields[prop.Column]; ok {
			return i, nil
		}
		return 0, fmt.Errorf("%w: %s %q is the id or geometry, not an attribute (Feature.ID and Feature.Geometry carry it)",
			filter.ErrUnknownProperty, what, name)
	}
	return 0, fmt.Errorf("%w: %s %q", filter.ErrUnknownProperty, what, name)
}

// envelopeCondition is the SQL for "the feature's envelope meets b",
// through the R-tree when the table has one. It is the env callback of
// filter.SQL too, so spatial filters use the index. The IN form, rather
// than a join, keeps the R-tree's columns (id, minx…) out of the scope of
// the filter's column names.
func (p *plan) envelopeCondition(b orb.Bound) (string, []any) {
	if p.l.rtree != "" {
		return quote(p.l.IDColumn) + ` IN (SELECT id FROM ` + quote(p.l.rtree) + ` WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)`,
			[]any{b.Max.X(), b.Min.X(), b.Max.Y(), b.Min.Y()}
	}
	return envelopeIntersectsFunc + `(` + quote(p.l.GeometryColumn) + `, ?, ?, ?, ?)`, []any{b.Min.X(), b.Min.Y(), b.Max.X(), b.Max.Y()}
}

// SQLite limits (SQLITE_MAX_EXPR_DEPTH, SQLITE_MAX_VARIABLE_NUMBER) that a
// filter's translation must stay under, with a margin for the rest of the
// query.
const (
	maxSQLDepth = 900
	maxSQLArgs  = 30000
)

// addFilter validates f, brings its literals into the layer's CRS and
// translates it to SQL. A filter too large for SQLite (an Or of thousands
// of comparisons, which a filter document may hold) is evaluated in Go
// alone: slower, never wrong.
func (p *plan) addFilter(s *Store, f filter.Filter) error {
	depth, sqlDepth := filterShape(f)
	if depth > filter.MaxDepth {
		return fmt.Errorf("%w: filter nested deeper than %d", filter.ErrInvalid, filter.MaxDepth)
	}
	if err := filter.Validate(f, p.schema); err != nil {
		return err
	}
	if p.l.CRS != (crs.CRS{}) {
		var err error
		f, err = filter.Transform(f, p.l.CRS, func(from crs.CRS, g orb.Geometry) (orb.Geometry, error) {
			return s.transform(from, p.l.CRS, g)
		})
		if err != nil {
			return err
		}
	}
	where, args, exact, err := filter.SQL(f, p.schema, p.envelopeCondition)
	if err != nil {
		return err
	}
	if sqlDepth > maxSQLDepth || len(args)+len(p.args) > maxSQLArgs {
		where, args, exact = "", nil, false
	}
	if where != "" {
		p.where = append(p.where, "("+where+")")
		p.args = append(p.args, args...)
	}
	if !exact {
		p.exact = false
		p.post = f
	}
	return nil
}

// filterShape measures f: its logical nesting, and an upper bound on the
// depth of the SQL expression it becomes (SQLite nests a chain of n ANDs
// or ORs n deep).
func filterShape(f filter.Filter) (depth, sqlDepth int) {
	switch f := f.(type) {
	case filter.And:
		return shapeOf(f.Filters)
	case filter.Or:
		return shapeOf(f.Filters)
	case filter.Not:
		d, sd := filterShape(f.Filter)
		return d + 1, sd + 2
	}
	// A comparison becomes a few nested expressions at most (COALESCE,
	// lower(), an OR for case folding).
	return 1, 6
}

func shapeOf(fs []filter.Filter) (depth, sqlDepth int) {
	for _, g := range fs {
		d, sd := filterShape(g)
		depth, sqlDepth = max(depth, d), max(sqlDepth, sd)
		if depth > filter.MaxDepth {
			break // refused anyway: stop walking
		}
	}
	return depth + 1, sqlDepth + len(fs)
}

func (p *plan) whereClause() string {
	if len(p.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(p.where, " AND ")
}

// query builds the row query. Date and datetime columns are read through
// unary plus, which drops their declared type: the driver would otherwise
// turn text it cannot parse into a zero time without telling.
func (p *plan) query() (string, []any) {
	var sb strings.Builder
	sb.WriteString("SELECT ")
	sb.WriteString(quote(p.l.IDColumn))
	sb.WriteString(", ")
	sb.WriteString(quote(p.l.GeometryColumn))
	for _, fi := range p.fields {
		f := p.l.Fields[fi]
		sb.WriteString(", ")
		if f.Kind == filter.Date || f.Kind == filter.DateTime {
			sb.WriteByte('+')
		}
		sb.WriteString(quote(f.Name))
	}
	sb.WriteString(" FROM ")
	sb.WriteString(quote(p.l.Name))
	sb.WriteString(p.whereClause())
	sb.WriteString(p.order)
	args := p.args
	if p.exact && (p.limit > 0 || p.offset > 0) {
		limit := -1 // SQLite: no limit
		if p.limit > 0 {
			limit = p.limit
		}
		sb.WriteString(" LIMIT ? OFFSET ?")
		args = append(args[:len(args):len(args)], limit, p.offset)
	}
	return sb.String(), args
}

// run executes the plan and hands each feature to yield until it returns
// false or rows run out; it returns the first error.
func (p *plan) run(ctx context.Context, db *sql.DB, yield func(Feature, error) bool) error {
	query, args := p.query()
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return ctxErr(ctx, err)
	}
	defer rows.Close()
	var (
		id    int64
		blob  sql.RawBytes
		vals  = make([]any, len(p.fields))
		dest  = make([]any, 2+len(p.fields))
		row   = &rowFeature{p: p}
		skip  = p.offset
		left  = p.limit
		inSQL = p.exact
		seen  int
	)
	dest[0], dest[1] = &id, &blob
	for i := range vals {
		dest[2+i] = &vals[i]
	}
	for rows.Next() {
		// The driver interrupts SQLite on cancellation; this catches rows
		// that Go discards (post-filter, offset) without yielding.
		if seen++; seen%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		g, err := decodeGeometry(blob)
		if err != nil {
			return fmt.Errorf("feature %d: %w", id, err)
		}
		for i, fi := range p.fields {
			vals[i] = convertValue(p.l.Fields[fi].Kind, vals[i])
		}
		if p.post != nil {
			row.reset(id, g, vals)
			ok, err := filter.Evaluate(p.post, p.schema, row)
			if err != nil {
				return fmt.Errorf("feature %d: %w", id, err)
			}
			if !ok {
				continue
			}
		}
		if !inSQL {
			if skip > 0 {
				skip--
				continue
			}
		}
		props := make([]any, len(p.out))
		for i, j := range p.out {
			props[i] = vals[j]
		}
		if !yield(Feature{ID: id, Geometry: g, Properties: props}, nil) {
			return nil
		}
		if !inSQL && p.limit > 0 {
			if left--; left == 0 {
				return nil
			}
		}
	}
	return ctxErr(ctx, rows.Err())
}

// ctxErr prefers the context's error to the driver's report of the
// interruption it caused.
func ctxErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

// convertValue turns what the driver scanned into the Go type of the
// field's kind (see Feature). Values the column's type cannot explain, as
// SQLite's loose typing allows, are passed through unchanged.
func convertValue(k filter.Kind, v any) any {
	switch k {
	case filter.Integer:
		if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return int64(f)
		}
	case filter.Real:
		if i, ok := v.(int64); ok {
			return float64(i)
		}
	case filter.Boolean:
		switch x := v.(type) {
		case int64:
			return x != 0
		case float64:
			return x != 0
		}
	case filter.Date:
		if s, ok := v.(string); ok {
			if t, err := time.Parse(dateLayout, s); err == nil {
				return t
			}
			if t, ok := parseDateTime(s); ok {
				return t
			}
		}
	case filter.DateTime:
		if s, ok := v.(string); ok {
			if t, ok := parseDateTime(s); ok {
				return t
			}
		}
	case filter.String:
		if b, ok := v.([]byte); ok {
			return string(b)
		}
	}
	return v
}

// parseDateTime reads the datetime spellings GeoPackage writers use: the
// spec's 'YYYY-MM-DDTHH:MM:SS.SSSZ', offsets, a space for the T, no zone
// (taken as UTC), or a bare date.
func parseDateTime(s string) (time.Time, bool) {
	for _, layout := range []string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		dateLayout,
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

var _ filter.Feature = (*rowFeature)(nil)

// rowFeature shows a scanned row to filter.Evaluate. It holds every field
// of the layer (a post-filtered plan selects them all).
type rowFeature struct {
	p    *plan
	id   int64
	g    geom.T
	vals []any
	o    orb.Geometry
	oSet bool
}

func (r *rowFeature) reset(id int64, g geom.T, vals []any) {
	r.id, r.g, r.vals, r.o, r.oSet = id, g, vals, nil, false
}

func (r *rowFeature) ID() string { return strconv.FormatInt(r.id, 10) }

func (r *rowFeature) Value(column string) (any, bool) {
	if column == r.p.l.IDColumn {
		return r.id, true
	}
	if i, ok := r.p.l.fields[column]; ok {
		return r.vals[i], true
	}
	return nil, false
}

func (r *rowFeature) Geometry(column string) orb.Geometry {
	if column != r.p.l.GeometryColumn {
		return nil
	}
	if !r.oSet {
		r.o, r.oSet = ToOrb(r.g), true
	}
	return r.o
}

func anyNaN(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) {
			return true
		}
	}
	return false
}

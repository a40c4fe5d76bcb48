package filter

import (
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
)

// SQL translates f into a parameterised SQLite boolean expression for a
// WHERE clause. Columns come from the Schema and are double-quoted; every
// literal is a ? argument (int64, float64 or string; booleans as 0 and 1),
// so no text of the request reaches the SQL.
//
// Some nodes cannot be decided in SQL; for them the translation is a
// superset: the WHERE clause keeps every row the filter matches, maybe
// more, and exact is false, telling the store to run Evaluate on each row
// it returns. To keep supersets correct under Not, each node is translated
// twice, as a superset and as a subset of its true rows: sup(Not x) is
// NOT sub(x), sub(Not x) is NOT sup(x), And and Or combine their operands'
// sups (or subs). The inexact nodes are:
//
//   - spatial operators: sup is the R-tree test env returns for the bounds
//     of the literal (expanded by the distance for DWithin), which must be
//     the index of the Schema's default geometry; sup is 1 for Disjoint
//     and Beyond, for another geometry property and when env is nil; sub
//     is always 0;
//   - string comparisons and PropertyIsLike with MatchCase false: SQLite's
//     lower() folds ASCII only, so lower(col) against the folded literal
//     decides rows whose text is ASCII exactly, and rows with other text are
//     in sup but not in sub, left to Evaluate.
//
// PropertyIsLike with MatchCase true becomes GLOB with the pattern
// translated (GLOB is case-sensitive, unlike LIKE, whose case behaviour
// also depends on a pragma). ResourceID becomes "<id column>" IN (?, ...)
// with the column of Schema.Property(IDProperty); non-numeric identifiers
// match nothing. NULLs: comparisons on NULL are NULL in SQL, which a WHERE
// treats as false, and every Not wraps its operand in COALESCE(x, 0), so
// that SQL and Evaluate agree on two-valued logic.
//
// Spatial literals and distances must be in the layer's CRS and units
// (Transform). A nil filter is "1", exact.
func SQL(f Filter, s Schema, env func(b orb.Bound) (string, []any)) (where string, args []any, exact bool, err error) {
	t := translator{s: s, env: env}
	sup, _, exact, err := t.node(f)
	if err != nil {
		return "", nil, false, err
	}
	return sup.sql, sup.args, exact, nil
}

// frag is a piece of SQL with its arguments in placeholder order.
type frag struct {
	sql  string
	args []any
}

// The constants true and false, which join and not fold away.
const (
	sqlTrueText  = "1"
	sqlFalseText = "0"
)

func sqlTrue() frag  { return frag{sql: sqlTrueText} }
func sqlFalse() frag { return frag{sql: sqlFalseText} }

type translator struct {
	s   Schema
	env func(b orb.Bound) (string, []any)
}

// quote double-quotes an identifier, doubling the quotes inside.
func quote(col string) (string, error) {
	if col == "" || strings.IndexByte(col, 0) >= 0 {
		return "", fmt.Errorf("%w: column name %q", ErrInvalid, short(col))
	}
	return `"` + strings.ReplaceAll(col, `"`, `""`) + `"`, nil
}

func sqlOp(op CompareOp) (string, error) {
	switch op {
	case EqualTo:
		return "=", nil
	case NotEqualTo:
		return "<>", nil
	case LessThan:
		return "<", nil
	case LessThanOrEqualTo:
		return "<=", nil
	case GreaterThan:
		return ">", nil
	case GreaterThanOrEqualTo:
		return ">=", nil
	}
	return "", fmt.Errorf("%w: comparison %s", ErrUnsupported, op)
}

// columnExpr is the SQL expression compared for a property of kind k:
// the column itself, under BINARY collation for text, or its normalised
// date text (see values.go).
func columnExpr(k Kind, col string) string {
	switch k {
	case String:
		return col + " COLLATE BINARY"
	case Date:
		return "date(" + col + ")"
	case DateTime:
		return "strftime('%Y-%m-%dT%H:%M:%f', " + col + ")"
	}
	return col
}

// arg is the SQL argument for a typed literal.
func arg(k Kind, v value) any {
	switch k {
	case Integer, Real, Boolean:
		if v.num.isFloat {
			return v.num.f
		}
		return v.num.i
	}
	return v.str
}

// foldedPair builds the sup and sub of a case-insensitive test on an
// ASCII-folded column: exact where the column's text is ASCII (as many
// bytes as characters), undecided elsewhere.
func foldedPair(test frag, col string) (sup, sub frag) {
	ascii := "length(CAST(" + col + " AS BLOB)) = length(" + col + ")"
	nonASCII := "length(CAST(" + col + " AS BLOB)) <> length(" + col + ")"
	sup = frag{sql: "(" + test.sql + " OR " + nonASCII + ")", args: test.args}
	sub = frag{sql: "(" + test.sql + " AND " + ascii + ")", args: test.args}
	return sup, sub
}

func (t translator) node(f Filter) (sup, sub frag, exact bool, err error) {
	switch f := f.(type) {
	case nil:
		return sqlTrue(), sqlTrue(), true, nil
	case Compare:
		p, err := resolve(t.s, f.Property)
		if err != nil {
			return sup, sub, false, err
		}
		fold := p.Kind == String && !f.MatchCase
		lit, err := literal(p.Kind, f.Literal, fold)
		if err != nil {
			return sup, sub, false, fmt.Errorf("%s on %q: %w", f.Op, short(f.Property), err)
		}
		op, err := sqlOp(f.Op)
		if err != nil {
			return sup, sub, false, err
		}
		col, err := quote(p.Column)
		if err != nil {
			return sup, sub, false, err
		}
		if fold {
			sup, sub = foldedPair(frag{sql: "lower(" + col + ") " + op + " ?", args: []any{lit.str}}, col)
			return sup, sub, false, nil
		}
		e := frag{sql: columnExpr(p.Kind, col) + " " + op + " ?", args: []any{arg(p.Kind, lit)}}
		return e, e, true, nil
	case Like:
		p, err := resolve(t.s, f.Property)
		if err != nil {
			return sup, sub, false, err
		}
		if p.Kind != String {
			return sup, sub, false, fmt.Errorf("%w: PropertyIsLike on %q, a %s property", ErrInvalid, short(f.Property), p.Kind)
		}
		toks, err := compileLike(f)
		if err != nil {
			return sup, sub, false, err
		}
		col, err := quote(p.Column)
		if err != nil {
			return sup, sub, false, err
		}
		if !f.MatchCase {
			sup, sub = foldedPair(frag{sql: "lower(" + col + ") GLOB ?", args: []any{globPattern(toks)}}, col)
			return sup, sub, false, nil
		}
		e := frag{sql: col + " GLOB ?", args: []any{globPattern(toks)}}
		return e, e, true, nil
	case IsNull:
		p, err := resolve(t.s, f.Property)
		if err != nil {
			return sup, sub, false, err
		}
		col, err := quote(p.Column)
		if err != nil {
			return sup, sub, false, err
		}
		e := frag{sql: col + " IS NULL"}
		return e, e, true, nil
	case Between:
		p, err := resolve(t.s, f.Property)
		if err != nil {
			return sup, sub, false, err
		}
		lo, err := literal(p.Kind, f.Lower, false)
		if err != nil {
			return sup, sub, false, fmt.Errorf("PropertyIsBetween on %q: %w", short(f.Property), err)
		}
		hi, err := literal(p.Kind, f.Upper, false)
		if err != nil {
			return sup, sub, false, fmt.Errorf("PropertyIsBetween on %q: %w", short(f.Property), err)
		}
		col, err := quote(p.Column)
		if err != nil {
			return sup, sub, false, err
		}
		e := frag{sql: columnExpr(p.Kind, col) + " BETWEEN ? AND ?", args: []any{arg(p.Kind, lo), arg(p.Kind, hi)}}
		return e, e, true, nil
	case And:
		return t.combine(f.Filters, " AND ")
	case Or:
		return t.combine(f.Filters, " OR ")
	case Not:
		s, b, exact, err := t.node(f.Filter)
		if err != nil {
			return sup, sub, false, err
		}
		return not(b), not(s), exact, nil
	case Spatial:
		return t.spatial(f)
	case ResourceID:
		p, err := idColumn(t.s)
		if err != nil {
			return sup, sub, false, err
		}
		col, err := quote(p.Column)
		if err != nil {
			return sup, sub, false, err
		}
		seen := map[int64]bool{}
		var args []any
		for _, id := range f.IDs {
			if n, ok := numericID(id); ok && !seen[n] {
				seen[n] = true
				args = append(args, n)
			}
		}
		if len(args) == 0 {
			return sqlFalse(), sqlFalse(), true, nil
		}
		e := frag{sql: col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ") + ")", args: args}
		return e, e, true, nil
	}
	return sup, sub, false, fmt.Errorf("%w: filter node %T", ErrUnsupported, f)
}

// not negates a fragment; COALESCE turns a NULL operand into false first,
// so that Not(NULL comparison) is true, as in Evaluate.
func not(f frag) frag {
	switch f.sql {
	case sqlTrueText:
		return sqlFalse()
	case sqlFalseText:
		return sqlTrue()
	}
	return frag{sql: "NOT COALESCE(" + f.sql + ", 0)", args: f.args}
}

// join combines fragments with AND or OR, folding the constants 1 and 0.
func join(fs []frag, op string) frag {
	absorbing, neutral := sqlFalseText, sqlTrueText
	if op == " OR " {
		absorbing, neutral = sqlTrueText, sqlFalseText
	}
	var kept []frag
	for _, f := range fs {
		switch f.sql {
		case absorbing:
			return frag{sql: absorbing}
		case neutral:
			continue
		}
		kept = append(kept, f)
	}
	switch len(kept) {
	case 0:
		return frag{sql: neutral}
	case 1:
		return kept[0]
	}
	parts := make([]string, len(kept))
	var args []any
	for i, f := range kept {
		parts[i] = "(" + f.sql + ")"
		args = append(args, f.args...)
	}
	return frag{sql: strings.Join(parts, op), args: args}
}

func (t translator) combine(fs []Filter, op string) (sup, sub frag, exact bool, err error) {
	sups := make([]frag, 0, len(fs))
	subs := make([]frag, 0, len(fs))
	exact = true
	for _, g := range fs {
		s, b, e, err := t.node(g)
		if err != nil {
			return sup, sub, false, err
		}
		sups, subs = append(sups, s), append(subs, b)
		exact = exact && e
	}
	return join(sups, op), join(subs, op), exact, nil
}

func (t translator) spatial(f Spatial) (sup, sub frag, exact bool, err error) {
	p, lit, err := checkSpatial(f, t.s)
	if err != nil {
		return sup, sub, false, err
	}
	if err := resolvedUnits(f); err != nil {
		return sup, sub, false, err
	}
	if f.Op == Disjoint || f.Op == Beyond || t.env == nil {
		return sqlTrue(), sqlFalse(), false, nil
	}
	if def, ok := t.s.DefaultGeometry(); !ok || def.Column != p.Column {
		// env tests the spatial index, which is the default
		// geometry's: it says nothing about another geometry column.
		return sqlTrue(), sqlFalse(), false, nil
	}
	b := lit.bound
	if f.Op == DWithin {
		// Widen a little beyond the distance so that the float
		// rounding of the exact test never leaves a row out.
		size := math.Max(math.Max(math.Abs(b.Min[0]), math.Abs(b.Min[1])), math.Max(math.Abs(b.Max[0]), math.Abs(b.Max[1])))
		b = b.Pad(f.Distance + 1e-9*(f.Distance+size))
	}
	sql, args := t.env(b)
	return frag{sql: "(" + sql + ")", args: args}, sqlFalse(), false, nil
}

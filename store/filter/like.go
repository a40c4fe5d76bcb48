package filter

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// likeToken is one element of a compiled PropertyIsLike pattern.
type likeToken struct {
	kind byte // 'l' literal rune, '*' any run of characters, '?' one character
	r    rune
}

// likeChar reads one of the special characters of a Like: empty means
// none; more than one character is an error.
func likeChar(name, s string) (rune, error) {
	switch utf8.RuneCountInString(s) {
	case 0:
		return -1, nil
	case 1:
		r, _ := utf8.DecodeRuneInString(s)
		return r, nil
	}
	return 0, fmt.Errorf("%w: %s %q must be one character", ErrInvalid, name, short(s))
}

// compileLike tokenises the pattern. An escaped character is literal
// whatever it is; a trailing escape character is literal itself. With
// MatchCase false the literal characters are case-folded.
func compileLike(l Like) ([]likeToken, error) {
	wild, err := likeChar("wildCard", l.WildCard)
	if err != nil {
		return nil, err
	}
	single, err := likeChar("singleChar", l.SingleChar)
	if err != nil {
		return nil, err
	}
	esc, err := likeChar("escapeChar", l.Escape)
	if err != nil {
		return nil, err
	}
	if (wild >= 0 && (wild == single || wild == esc)) || (single >= 0 && single == esc) {
		return nil, fmt.Errorf("%w: wildCard, singleChar and escapeChar must differ", ErrInvalid)
	}
	if len(l.Pattern) > MaxLiteralLength {
		return nil, fmt.Errorf("%w: pattern longer than %d bytes", ErrInvalid, MaxLiteralLength)
	}
	var toks []likeToken
	escaped := false
	for _, r := range l.Pattern {
		switch {
		case escaped:
			escaped = false
		case r == esc:
			escaped = true
			continue
		case r == wild:
			if len(toks) == 0 || toks[len(toks)-1].kind != '*' {
				toks = append(toks, likeToken{kind: '*'})
			}
			continue
		case r == single:
			toks = append(toks, likeToken{kind: '?'})
			continue
		}
		if !l.MatchCase {
			r = foldRune(r)
		}
		toks = append(toks, likeToken{kind: 'l', r: r})
	}
	if escaped {
		r := esc
		if !l.MatchCase {
			r = foldRune(r)
		}
		toks = append(toks, likeToken{kind: 'l', r: r})
	}
	return toks, nil
}

// matchLike matches s against the tokens: greedy on '*' with one
// backtracking point, linear in practice and O(len(s)·len(toks)) at worst.
func matchLike(toks []likeToken, s string, fold bool) bool {
	rs := []rune(s)
	if fold {
		for i, r := range rs {
			rs[i] = foldRune(r)
		}
	}
	i, j := 0, 0
	star, mark := -1, 0
	for i < len(rs) {
		switch {
		case j < len(toks) && (toks[j].kind == '?' || (toks[j].kind == 'l' && toks[j].r == rs[i])):
			i++
			j++
		case j < len(toks) && toks[j].kind == '*':
			star, mark = j, i
			j++
		case star >= 0:
			mark++
			i, j = mark, star+1
		default:
			return false
		}
	}
	for j < len(toks) && toks[j].kind == '*' {
		j++
	}
	return j == len(toks)
}

// globPattern renders the tokens as an SQLite GLOB pattern: '*' and '?'
// are GLOB's own wildcards, and the characters special to GLOB are written
// as one-character classes ([*], [?], [[]), GLOB having no escape.
func globPattern(toks []likeToken) string {
	var b strings.Builder
	for _, t := range toks {
		switch t.kind {
		case '*':
			b.WriteByte('*')
		case '?':
			b.WriteByte('?')
		default:
			switch t.r {
			case '*', '?', '[':
				b.WriteByte('[')
				b.WriteRune(t.r)
				b.WriteByte(']')
			default:
				b.WriteRune(t.r)
			}
		}
	}
	return b.String()
}

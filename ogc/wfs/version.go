package wfs

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tuiles/tuiles/ogc/ows"
)

// version is a WFS version tuiles speaks.
type version int

const (
	v200 version = iota // 2.0.0; 2.0.2 requests are answered as 2.0.0
	v110
)

func (v version) String() string {
	if v == v110 {
		return "1.1.0"
	}
	return "2.0.0"
}

// parseVersion reads a version a client asks for. Every 2.0.x is 2.0.0:
// 2.0.2 only corrected the schemas and the text.
func parseVersion(s string) (version, bool) {
	s = strings.TrimSpace(s)
	switch {
	case s == "1.1.0" || s == "1.1":
		return v110, true
	case s == "2.0" || strings.HasPrefix(s, "2.0."):
		if s == "2.0" {
			return v200, true
		}
		if _, err := strconv.ParseUint(s[len("2.0."):], 10, 16); err == nil {
			return v200, true
		}
	}
	return 0, false
}

// negotiateKVP picks the version of a GetCapabilities answer. OWS 1.1
// clients list what they accept, in order of preference, in ACCEPTVERSIONS:
// the first one tuiles speaks wins, and none is VersionNegotiationFailed.
// Older clients send VERSION instead, which is negotiated the WMS way: a
// version tuiles speaks is answered as asked, one below 1.1.0 gets 1.1.0,
// anything else the highest, 2.0.0.
func negotiateKVP(kvp ows.KVP) (version, error) {
	if accept := kvp.Get("ACCEPTVERSIONS"); accept != "" {
		return negotiate(strings.Split(accept, ","))
	}
	raw := kvp.Get("VERSION")
	if raw == "" {
		return v200, nil
	}
	if v, ok := parseVersion(raw); ok {
		return v, nil
	}
	if less(raw, "1.1.0") {
		return v110, nil
	}
	return v200, nil
}

// negotiate returns the first version of the list tuiles speaks.
func negotiate(accepted []string) (version, error) {
	for _, a := range accepted {
		if v, ok := parseVersion(a); ok {
			return v, nil
		}
	}
	return 0, &ows.Error{Code: ows.CodeVersionNegotiation, Locator: "acceptVersions", Status: http.StatusBadRequest,
		Message: "none of the versions asked for is offered; this server speaks WFS 2.0.0 and 1.1.0"}
}

// less compares two dotted version numbers; a malformed one is never less.
func less(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y uint64
		var err error
		if i < len(pa) {
			if x, err = strconv.ParseUint(strings.TrimSpace(pa[i]), 10, 32); err != nil {
				return false
			}
		}
		if i < len(pb) {
			if y, err = strconv.ParseUint(pb[i], 10, 32); err != nil {
				return false
			}
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// requireVersion reads the VERSION every operation but GetCapabilities
// must carry.
func requireVersion(kvp ows.KVP) (version, error) {
	raw, err := single(kvp, "VERSION")
	if err != nil {
		return 0, err
	}
	if raw == "" {
		return 0, ows.MissingParameter("version")
	}
	v, ok := parseVersion(raw)
	if !ok {
		return 0, ows.InvalidParameter("version", "version %q is not offered; this server speaks WFS 2.0.0 and 1.1.0", clip(raw))
	}
	return v, nil
}

// parseQuery reads a raw query string. A malformed one (bad escapes) is
// refused rather than half-read, so that a typo is not silently dropped.
func parseQuery(raw string) (ows.KVP, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, &ows.Error{Code: ows.CodeInvalidParameterValue, Status: http.StatusBadRequest,
			Message: "the query string is malformed", Err: err}
	}
	return ows.ParseKVP(q), nil
}

// single returns the value of key, trimmed, or "" when it is absent. A
// parameter given twice with different values is ambiguous and refused;
// the same value twice is tolerated, since some clients append SERVICE or
// VERSION to a URL that already holds them.
func single(kvp ows.KVP, key string) (string, error) {
	vs := kvp[key]
	if len(vs) == 0 {
		return "", nil
	}
	v := strings.TrimSpace(vs[0])
	for _, o := range vs[1:] {
		if strings.TrimSpace(o) != v {
			return "", ows.InvalidParameter(strings.ToLower(key), "parameter %s is given %d times with different values", key, len(vs))
		}
	}
	return v, nil
}

// firstOf returns the value of the first of keys present, and which one
// it was; versions spell some parameters differently (TYPENAMES in 2.0,
// TYPENAME in 1.1) and clients mix them up.
func firstOf(kvp ows.KVP, keys ...string) (string, string, error) {
	for _, k := range keys {
		if kvp.Has(k) {
			v, err := single(kvp, k)
			return v, k, err
		}
	}
	return "", "", nil
}

// capabilities sections (OWS 1.1 clause 7.3.3).
type sections struct {
	identification, provider, operations, featureTypes, filter bool
}

func allSections() sections { return sections{true, true, true, true, true} }

func parseSections(s string) (sections, error) {
	if strings.TrimSpace(s) == "" {
		return allSections(), nil
	}
	var out sections
	for _, name := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "all":
			return allSections(), nil
		case "serviceidentification":
			out.identification = true
		case "serviceprovider":
			out.provider = true
		case "operationsmetadata":
			out.operations = true
		case "featuretypelist":
			out.featureTypes = true
		case "filter_capabilities":
			out.filter = true
		default:
			return sections{}, ows.InvalidParameter("sections", "unknown section %q", clip(name))
		}
	}
	return out, nil
}

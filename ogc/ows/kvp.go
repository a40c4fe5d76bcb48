package ows

import (
	"net/url"
	"strings"
)

// KVP holds the query parameters of an OGC request. OGC keys are
// case-insensitive (SERVICE, service, Service), values are not.
type KVP map[string][]string

// ParseKVP normalises the keys of q to upper case. Repeated keys keep every
// value, in order.
func ParseKVP(q url.Values) KVP {
	kvp := make(KVP, len(q))
	for k, vs := range q {
		key := strings.ToUpper(k)
		kvp[key] = append(kvp[key], vs...)
	}
	return kvp
}

// Get returns the first value of key (any case), trimmed of spaces.
func (k KVP) Get(key string) string {
	vs := k[strings.ToUpper(key)]
	if len(vs) == 0 {
		return ""
	}
	return strings.TrimSpace(vs[0])
}

// Has tells whether key is present, even with an empty value.
func (k KVP) Has(key string) bool {
	_, ok := k[strings.ToUpper(key)]
	return ok
}

// Required returns the value of key, or a MissingParameterValue error.
func (k KVP) Required(key string) (string, error) {
	v := k.Get(key)
	if v == "" {
		return "", MissingParameter(key)
	}
	return v, nil
}

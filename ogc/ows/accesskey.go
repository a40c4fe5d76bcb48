package ows

import (
	"context"
	"net/url"
	"strings"
)

type accessKeyCtx struct{}

// WithAccessKey records the access key a request carried and that opened
// restricted layers, so that the URLs written in its documents
// (capabilities, TileJSON, next pages) carry it too: clients such as QGIS
// and GDAL follow those URLs and would otherwise be refused.
func WithAccessKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, accessKeyCtx{}, key)
}

// AccessKey is the key WithAccessKey recorded, or "".
func AccessKey(ctx context.Context) string {
	k, _ := ctx.Value(accessKeyCtx{}).(string)
	return k
}

// KeyQuery is "apikey=KEY" for a request with an access key, else "".
func KeyQuery(ctx context.Context) string {
	if k := AccessKey(ctx); k != "" {
		return "apikey=" + url.QueryEscape(k)
	}
	return ""
}

// WithQuery appends a query parameter (such as KeyQuery's) to u, which may
// have a query already; an empty one leaves u as it is.
func WithQuery(u, param string) string {
	switch {
	case param == "":
		return u
	case strings.Contains(u, "?"):
		if strings.HasSuffix(u, "?") || strings.HasSuffix(u, "&") {
			return u + param
		}
		return u + "&" + param
	}
	return u + "?" + param
}

// KVPEndpoint is u ready for KVP parameters to be appended: ending in "?"
// when it has no query, in "&" when it has one.
func KVPEndpoint(u string) string {
	switch {
	case strings.HasSuffix(u, "?") || strings.HasSuffix(u, "&"):
		return u
	case strings.Contains(u, "?"):
		return u + "&"
	}
	return u + "?"
}

package ows

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/internal/xmlvalid"
)

func TestKVP(t *testing.T) {
	q, _ := url.ParseQuery("service=WMTS&Request=GetTile&LAYER=a&layer=b&empty=&TileRow=%207%20")
	k := ParseKVP(q)
	if k.Get("SERVICE") != "WMTS" || k.Get("request") != "GetTile" || k.Get("tilerow") != "7" {
		t.Errorf("case-insensitive keys: %v", k)
	}
	if got := k["LAYER"]; len(got) != 2 {
		t.Errorf("repeated keys keep every value: %v", got)
	}
	if !k.Has("EMPTY") || k.Has("missing") {
		t.Error("Has")
	}
	if _, err := k.Required("empty"); err == nil {
		t.Error("an empty value is missing")
	} else if e := AsError(err); e.Code != CodeMissingParameterValue || e.Locator != "empty" || e.Status != http.StatusBadRequest {
		t.Errorf("%+v", e)
	}
}

func TestExceptionReportValidates(t *testing.T) {
	for _, e := range []*Error{
		MissingParameter("LAYER"),
		InvalidParameter("TILEROW", "row %q is <not> a number & more", "x"),
		OperationNotSupported("GetMap"),
		Internal(errors.New("secret path /etc/x")),
		{Code: CodeTileOutOfRange, Status: 400},
	} {
		doc := ExceptionReport(e, "1.0.0")
		xmlvalid.Validate(t, doc, "ows/1.1.0/owsExceptionReport.xsd")
		if strings.Contains(string(doc), "secret") {
			t.Error("an internal cause leaks into the report")
		}
		rec := httptest.NewRecorder()
		rec.Header().Set("ETag", `"x"`)
		WriteExceptionReport(rec, e, "1.0.0")
		want := e.Status
		if want == 0 {
			want = 400
		}
		if rec.Code != want || rec.Header().Get("ETag") != "" || rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: status %d headers %v", e.Code, rec.Code, rec.Header())
		}
	}
}

func TestBaseURL(t *testing.T) {
	tests := []struct {
		name       string
		configured string
		host       string
		headers    map[string]string
		tls        bool
		want       string
	}{
		{"configured wins", "https://maps.example.org/tuiles/", "evil", nil, false, "https://maps.example.org/tuiles"},
		{"from host", "", "localhost:8080", nil, false, "http://localhost:8080"},
		{"tls", "", "a.example", nil, true, "https://a.example"},
		{"forwarded", "", "10.0.0.1:8080", map[string]string{"X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "maps.example.org"}, false, "https://maps.example.org"},
		{"bad proto ignored", "", "a.example", map[string]string{"X-Forwarded-Proto": "javascript"}, false, "http://a.example"},
		{"hostile forwarded host ignored", "", "a.example", map[string]string{"X-Forwarded-Host": `x"><script>`}, false, "http://a.example"},
		{"hostile host replaced", "", `a"b/c`, nil, false, "http://localhost"},
		{"ipv6", "", "[::1]:8080", nil, false, "http://[::1]:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/wmts", nil)
			r.Host = tt.host
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if got := BaseURL(r, tt.configured); got != tt.want {
				t.Errorf("got %q want %q", got, tt.want)
			}
		})
	}
}

func TestErrorWrapping(t *testing.T) {
	cause := errors.New("cause")
	e := &Error{Code: CodeNoApplicableCode, Locator: "x", Message: "m", Err: cause}
	if !errors.Is(e, cause) || !strings.Contains(e.Error(), "NoApplicableCode (x): m: cause") {
		t.Errorf("%v", e)
	}
	if AsError(e) != e {
		t.Error("AsError loses the *Error")
	}
	if AsError(cause).Status != http.StatusInternalServerError {
		t.Error("a plain error is internal")
	}
}

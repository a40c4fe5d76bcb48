# tuiles — build, run and test entry points. `make test` is what CI runs (.ci/run).

# Go lives in /usr/local/go; tools installed with `go install` in $(go env GOPATH)/bin.
# (make 4.3 does not pass the exported PATH to $(shell), hence the explicit one.)
GOPATH_DIR := $(shell PATH="/usr/local/go/bin:$$PATH" go env GOPATH 2>/dev/null)
export PATH := /usr/local/go/bin:$(PATH)$(if $(GOPATH_DIR),:$(GOPATH_DIR)/bin)

GO ?= go
BIN := bin/tuiles

# staticcheck 2026.2.2; v0.8.x is the line that supports Go 1.26 (its go.mod says go 1.26.0).
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

TEST_TIMEOUT ?= 20m
# How long each fuzz target runs under `make fuzz`.
FUZZTIME ?= 10s

.PHONY: all deps build run test vet fmt-check staticcheck unit bench bench-mapserver loadtest viewer fuzz clean

all: build

deps:
	bash scripts/install-deps.sh

build: deps
	$(GO) build -o $(BIN) ./cmd/tuiles

# Serves the bundled demo (testdata/demo/) on :8080.
run: build
	./$(BIN) serve

test: deps
	$(MAKE) --no-print-directory vet fmt-check staticcheck unit

vet:
	$(GO) vet ./...

# Fails listing the files gofmt would change (testdata and dot/underscore folders are not Go packages).
fmt-check:
	@files="$$(find . -name '*.go' -not -path '*/testdata/*' -not -path './.*' -not -path '*/_*' -not -path './bin/*' -print0 | xargs -0 -r gofmt -l)"; \
	if [ -n "$$files" ]; then echo "gofmt: these files are not formatted (run gofmt -w):"; echo "$$files"; exit 1; fi

staticcheck:
	$(STATICCHECK) ./...

unit:
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

bench: build
	bash scripts/bench.sh
	bash scripts/bench-wfs.sh
	bash scripts/bench-wms.sh

# tuiles against MapServer 8 (map2img) on the same maps; installs mapserver-bin when missing.
# Mixed load at 200 connections for 60 s: cached tiles, GetMap, GetFeature
# (issue 6); fails on any 5xx. LOADTEST_SECONDS, LOADTEST_CONNECTIONS.
loadtest: build
	bash scripts/loadtest.sh

# The layer viewer's bundle (OpenLayers by esbuild, from npm), committed in
# ogc/viewer/dist and embedded in the binary: rebuild it after changing
# ogc/viewer/web/src or the npm packages.
viewer:
	cd ogc/viewer/web && npm ci --no-audit --no-fund && npm run build

bench-mapserver: build
	bash scripts/mapserver/compare.sh

# Runs every fuzz target (func FuzzXxx in a _test.go file) for $(FUZZTIME) each. Only packages
# whose tests declare one are listed with `go test -list`, which runs a package's TestMain.
fuzz: deps
	@set -e; \
	for entry in $$($(GO) list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}={{.Dir}}{{end}}' ./...); do \
		pkg="$${entry%%=*}"; dir="$${entry#*=}"; \
		grep -qs '^func Fuzz' "$$dir"/*_test.go || continue; \
		list="$$($(GO) test -list '^Fuzz' "$$pkg")"; \
		for target in $$(printf '%s\n' "$$list" | grep '^Fuzz'); do \
			echo "fuzz: $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) "$$pkg"; \
		done; \
	done

clean:
	rm -rf bin
	$(GO) clean -testcache

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/store/ingest"
)

// defaultStore is where tuiles import writes without --into: a file in the
// working directory, which a configuration names with `store:`.
const defaultStore = "store.gpkg"

type importArgs struct {
	layer       string
	into        string
	sourceLayer string
	srs         string
	sourceSRS   string
	where       string
	invalid     string
	title       string
	replace     bool
	append      bool
	openOptions []string
	log         logFlags
}

func importFlags() (*flag.FlagSet, *importArgs) {
	a := &importArgs{}
	fs := newFlagSet("import", " SRC --layer NAME [flags]")
	fs.StringVar(&a.layer, "layer", "", "name of the layer (table) to write in the store (required)")
	fs.StringVar(&a.into, "into", defaultStore, "the store: a GeoPackage file, created if missing")
	fs.StringVar(&a.sourceLayer, "source-layer", "", "layer of SRC to read (required when SRC has several)")
	fs.StringVar(&a.srs, "srs", "", "reproject into this CRS, e.g. EPSG:2154 (default: keep the source's, or the layer's when appending)")
	fs.StringVar(&a.sourceSRS, "source-srs", "", "CRS of SRC when it has none (CSV) or declares a wrong one, e.g. EPSG:4326")
	fs.StringVar(&a.where, "where", "", "import only the features matching this OGR SQL attribute filter, e.g. \"pop > 1000\"")
	fs.StringVar(&a.invalid, "invalid", "import", "invalid geometries: import (and report them) or reject (import nothing)")
	fs.StringVar(&a.title, "title", "", "title of the layer (default: its name)")
	fs.BoolVar(&a.replace, "replace", false, "replace the layer if it exists")
	fs.BoolVar(&a.append, "append", false, "append to the layer if it exists (features get new ids)")
	fs.Func("oo", "GDAL open option KEY=VALUE for SRC (repeatable), e.g. -oo X_POSSIBLE_NAMES=lon", func(s string) error {
		if !strings.Contains(s, "=") {
			return fmt.Errorf("want KEY=VALUE, got %q", s)
		}
		a.openOptions = append(a.openOptions, s)
		return nil
	})
	a.log.register(fs, "warn")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: tuiles import SRC --layer NAME [flags]

Reads SRC (any vector format GDAL reads: GeoPackage, Shapefile, zipped
Shapefile, GeoJSON, CSV with a WKT column or lon/lat columns, KML, GML,
FlatGeobuf...) into one layer of the store, in one transaction: an error or
Ctrl-C leaves the store as it was.

Feature ids are kept (sources that number features from 0 - Shapefile, CSV,
GeoJSON without ids - are numbered from 1). A layer mixing single and multi
geometries (POLYGON and MULTIPOLYGON) is stored as the multi type. Curves
are approximated by lines. Z and M are kept.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, a
}

// runImport is `tuiles import`.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return importer{}.run(ctx, args, stdout, stderr)
}

// importer runs one import. Its fields are hooks for tests; the zero value
// is the command.
type importer struct {
	// onFeature, if set, is called after each feature written, with the
	// number written so far.
	onFeature func(n int64)
}

func (im importer) run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, a := importFlags()
	pos, code, ok := parseInterspersed(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	usage := func(format string, v ...any) int {
		fmt.Fprintf(stderr, "tuiles import: "+format+"\n", v...)
		fs.SetOutput(stderr)
		fs.Usage()
		return exitUsage
	}
	switch {
	case len(pos) == 0:
		return usage("SRC is required")
	case len(pos) > 1:
		return usage("one SRC at a time, got %q", pos)
	case a.layer == "":
		return usage("--layer is required")
	case a.replace && a.append:
		return usage("--replace and --append exclude each other")
	case a.invalid != "import" && a.invalid != "reject":
		return usage("--invalid %q: want import or reject", a.invalid)
	case a.into == "":
		return usage("--into is empty")
	}
	log, err := a.log.logger(stderr)
	if err != nil {
		return usage("%v", err)
	}
	mode := store.Create
	switch {
	case a.replace:
		mode = store.Replace
	case a.append:
		mode = store.Append
	}
	bar := progress(stderr, a.layer)
	res, err := ingest.Run(ctx, ingest.Options{
		Source: pos[0], SourceLayer: a.sourceLayer, OpenOptions: a.openOptions, Where: a.where,
		Into: a.into, Layer: a.layer, Title: a.title, Mode: mode,
		SRS: a.srs, SourceSRS: a.sourceSRS, RejectInvalid: a.invalid == "reject",
		Logger: log,
		Progress: func(done, total int64) {
			if bar != nil {
				if done == 1 {
					bar.ChangeMax64(total)
				}
				_ = bar.Add(1)
			}
			if im.onFeature != nil {
				im.onFeature(done)
			}
		},
	})
	if bar != nil {
		_ = bar.Exit()
		fmt.Fprintln(stderr)
	}
	if err != nil {
		// Whatever failed first once the context is cancelled (GDAL's read,
		// SQLite's statement), the cause is the interruption.
		if ctx.Err() != nil {
			log.Debug("import interrupted", "err", err)
			fmt.Fprintf(stderr, "tuiles import: interrupted; %s unchanged\n", a.into)
		} else {
			fmt.Fprintf(stderr, "tuiles import: %v\n", err)
		}
		return exitError
	}
	if res.Invalid > 0 {
		fmt.Fprintf(stderr, "tuiles import: %d invalid geometr%s imported; source FIDs: %s\n",
			res.Invalid, plural2(res.Invalid, "y", "ies"), listFIDs(res.InvalidFIDs, res.Invalid))
	}
	fmt.Fprintf(stdout, "imported %d feature%s into %s (%s), %d invalid\n",
		res.Written, plural(int(res.Written)), res.Layer, a.into, res.Invalid)
	return exitOK
}

func plural2(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func listFIDs(fids []int64, total int64) string {
	s := make([]string, len(fids))
	for i, f := range fids {
		s[i] = strconv.FormatInt(f, 10)
	}
	out := strings.Join(s, ", ")
	if total > int64(len(fids)) {
		out += ", ..."
	}
	return out
}

// parseInterspersed parses flags wherever they stand among the arguments
// (`tuiles import SRC --layer x` reads naturally, but the flag package
// stops at the first non-flag) and returns the others, in order. Help goes
// to stdout (exit 0), errors to stderr (exit 2), as parseFlags does.
func parseInterspersed(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (pos []string, code int, ok bool) {
	var msg bytes.Buffer
	fs.SetOutput(&msg)
	for {
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			_, _ = stdout.Write(msg.Bytes())
			return nil, exitOK, false
		case err != nil:
			_, _ = stderr.Write(msg.Bytes())
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, exitOK, true
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			// After "--" everything is an argument.
			return append(pos, rest...), exitOK, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// progress returns a progress bar on stderr when it is a terminal, nil
// otherwise: logs and CI output stay free of control characters.
func progress(stderr io.Writer, layer string) *progressbar.ProgressBar {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription("importing "+layer),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
	)
}

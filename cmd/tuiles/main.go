// Command tuiles is a map server: it publishes tile caches (MBTiles) as
// WMTS, TMS and XYZ services.
//
//	tuiles serve [--config FILE] [--listen ADDR]   serve (the bundled demo without --config)
//	tuiles check --config FILE                     check a configuration and its data
//	tuiles import SRC --layer NAME [--into STORE]  import vector data into the store
//	tuiles version                                 print the version
//	tuiles help                                    print this help
//
// This package is the composition root: the only place that reads the
// configuration and builds the objects the other packages are made of.
//
// Exit codes: 0 success, 1 a configuration or runtime error, 2 a usage
// error (unknown command or flag).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the default handling comes back, so a
		// second Ctrl-C kills a shutdown that takes too long.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usageText = `tuiles publishes map tiles as WMTS, TMS and XYZ services.

Usage:
  tuiles serve [--config FILE] [--listen ADDR]   serve the layers of FILE (without
                                                 --config, the bundled demo)
  tuiles check --config FILE                     check a configuration and open its
                                                 data; list every problem
  tuiles import SRC --layer NAME [--into STORE]  import vector data (any format GDAL
                                                 reads) into a store layer
  tuiles seed --config FILE --layer NAME         render a layer's tile cache ahead of
                                                 requests (resumable; see help seed)
  tuiles cache info|verify|truncate FILE          show, check or empty (--zoom, --bbox)
                                                 an MBTiles cache
  tuiles export FILE.mbtiles --to FILE.pmtiles    write a Web Mercator cache as PMTiles
  tuiles token create|list|revoke --config FILE  manage the producer API's tokens
  tuiles version                                 print the version
  tuiles help [COMMAND]                          print this help, or a command's

Run "tuiles help COMMAND" for a command's flags.
`

// run is the whole program with its environment passed in, so that tests
// drive it without starting a process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "check":
		return runCheck(ctx, rest, stdout, stderr)
	case "import":
		return runImport(ctx, rest, stdout, stderr)
	case "seed":
		return runSeed(ctx, rest, stdout, stderr)
	case "cache":
		return runCache(ctx, rest, stdout, stderr)
	case "export":
		return runExport(ctx, rest, stdout, stderr)
	case "token":
		return runToken(ctx, rest, stdout, stderr)
	case "version":
		return runVersion(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && cmd == "help" {
			if fs := commandFlags(rest[0]); fs != nil {
				fs.SetOutput(stdout)
				fs.Usage()
				return exitOK
			}
			fmt.Fprintf(stderr, "tuiles help: unknown command %q\n\n%s", rest[0], usageText)
			return exitUsage
		}
		fmt.Fprint(stdout, usageText)
		return exitOK
	default:
		fmt.Fprintf(stderr, "tuiles: unknown command %q\n\n%s", cmd, usageText)
		return exitUsage
	}
}

// commandFlags returns a command's flag set, for help.
func commandFlags(cmd string) *flag.FlagSet {
	switch cmd {
	case "serve":
		fs, _ := serveFlags()
		return fs
	case "check":
		fs, _ := checkFlags()
		return fs
	case "import":
		fs, _ := importFlags()
		return fs
	case "seed":
		fs, _ := seedFlags()
		return fs
	case "cache":
		fs, _ := cacheFlags()
		return fs
	case "export":
		fs, _ := exportFlags()
		return fs
	case "token":
		fs, _ := tokenFlags()
		return fs
	case "version":
		return newFlagSet("version", "")
	}
	return nil
}

func newFlagSet(name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet("tuiles "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tuiles %s%s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, printing help to stdout (exit 0) and errors to
// stderr (exit 2). ok is false when the command must stop with code.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	var msg bytes.Buffer
	fs.SetOutput(&msg)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		_, _ = stdout.Write(msg.Bytes())
		return exitOK, false
	case err != nil:
		_, _ = stderr.Write(msg.Bytes())
		return exitUsage, false
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.SetOutput(stderr)
		fs.Usage()
		return exitUsage, false
	}
	return exitOK, true
}

// logFlags are the logging flags every long-running command has.
type logFlags struct {
	format string
	level  string
}

func (l *logFlags) register(fs *flag.FlagSet, defaultLevel string) {
	fs.StringVar(&l.format, "log-format", "text", "log format: text or json")
	fs.StringVar(&l.level, "log-level", defaultLevel, "log level: debug, info, warn or error")
}

// logger makes the logger to stderr, or says what is wrong with the flags.
func (l *logFlags) logger(stderr io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", l.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(l.format) {
	case "text":
		return slog.New(slog.NewTextHandler(stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", l.format)
}

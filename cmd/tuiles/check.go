package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/tuiles/tuiles/cmd/tuiles/config"
)

type checkArgs struct {
	config string
	log    logFlags
}

func checkFlags() (*flag.FlagSet, *checkArgs) {
	a := &checkArgs{}
	fs := newFlagSet("check", " --config FILE")
	fs.StringVar(&a.config, "config", "", "configuration file to check (required)")
	// Opening the data logs at info level; check's output is its list of
	// problems, so the logs stay quiet unless asked for.
	a.log.register(fs, "warn")
	return fs, a
}

// runCheck loads the configuration and opens all its data, as serve would,
// and lists every problem found. Layers with problems in the configuration
// are not opened, but every other layer is, so one run reports as much as
// possible.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, a := checkFlags()
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if a.config == "" {
		fmt.Fprintln(stderr, "tuiles check: --config is required")
		fs.SetOutput(stderr)
		fs.Usage()
		return exitUsage
	}
	log, err := a.log.logger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "tuiles check: %v\n", err)
		return exitUsage
	}
	cfg, err := config.Load(a.config)
	var problems config.Problems
	if err != nil && !errors.As(err, &problems) {
		fmt.Fprintf(stderr, "tuiles check: %v\n", err)
		return exitError
	}
	if cfg != nil {
		b, ps := buildCatalog(ctx, cfg, log, func(i int) bool {
			return !problems.About(fmt.Sprintf("layers[%d]", i))
		})
		problems = append(problems, ps...)
		if err := b.Close(); err != nil {
			problems = append(problems, config.Problem{File: cfg.File(), Msg: "closing the data: " + err.Error()})
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stdout, p.Error())
		}
		fmt.Fprintf(stderr, "%s: %d problem%s\n", a.config, len(problems), plural(len(problems)))
		return exitError
	}
	fmt.Fprintf(stdout, "ok: %d layer%s\n", len(cfg.Layers), plural(len(cfg.Layers)))
	return exitOK
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/tuiles/tuiles/cmd/tuiles/config"
)

type tokenArgs struct {
	config    string
	producer  string
	community string
	label     string
}

func tokenFlags() (*flag.FlagSet, *tokenArgs) {
	a := &tokenArgs{}
	fs := newFlagSet("token", " create --producer NAME [--community NAME] [--label TEXT] | list | revoke ID  --config FILE")
	fs.StringVar(&a.config, "config", "", "the configuration whose producer.data_dir holds the producers (required)")
	fs.StringVar(&a.producer, "producer", "", "create: the producer the token acts as (created when new)")
	fs.StringVar(&a.community, "community", "", "create: the producer's community: its members see and change each other's objects")
	fs.StringVar(&a.label, "label", "", "create: a note to tell tokens apart (who, where)")
	return fs, a
}

// runToken manages the producer API's tokens: create prints a new token
// once (only its hash is kept), list shows them, revoke ends one.
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, a := tokenFlags()
	if len(args) < 1 || !slices.Contains([]string{"create", "list", "revoke"}, args[0]) {
		fmt.Fprintln(stderr, "tuiles token: want create, list or revoke")
		fs.SetOutput(stderr)
		fs.Usage()
		return exitUsage
	}
	op, rest := args[0], args[1:]
	var id int64
	if op == "revoke" {
		if len(rest) == 0 {
			fmt.Fprintln(stderr, "tuiles token revoke: give the token's id (tuiles token list)")
			return exitUsage
		}
		var err error
		if id, err = strconv.ParseInt(rest[0], 10, 64); err != nil {
			fmt.Fprintf(stderr, "tuiles token revoke: %q is not a token id\n", rest[0])
			return exitUsage
		}
		rest = rest[1:]
	}
	if code, ok := parseFlags(fs, rest, stdout, stderr); !ok {
		return code
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "tuiles token %s: "+format+"\n", append([]any{op}, args...)...)
		return exitError
	}
	if a.config == "" {
		fmt.Fprintf(stderr, "tuiles token %s: --config is required\n", op)
		return exitUsage
	}
	cfg, err := config.Load(a.config)
	if cfg == nil {
		printProblems(stderr, err)
		return exitError
	}
	cat, _, err := openProducers(ctx, cfg)
	if err != nil {
		return fail("%v", err)
	}
	defer cat.Close()
	switch op {
	case "create":
		if a.producer == "" {
			fmt.Fprintln(stderr, "tuiles token create: --producer is required")
			return exitUsage
		}
		secret, tok, err := cat.CreateToken(ctx, a.producer, a.community, a.label)
		if err != nil {
			return fail("%v", err)
		}
		fmt.Fprintf(stderr, "token %d for producer %s; it is shown once, keep it secret:\n", tok.ID, tok.Producer)
		fmt.Fprintln(stdout, secret)
	case "list":
		toks, err := cat.Tokens(ctx)
		if err != nil {
			return fail("%v", err)
		}
		fmt.Fprintln(stdout, "id\tproducer\tcreated\trevoked\tlabel")
		for _, t := range toks {
			revoked := "-"
			if t.Revoked != nil {
				revoked = t.Revoked.Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\t%s\n", t.ID, t.Producer, t.Created.Format(time.RFC3339), revoked, t.Label)
		}
	case "revoke":
		if err := cat.RevokeToken(ctx, id); err != nil {
			return fail("%v", err)
		}
		fmt.Fprintf(stdout, "token %d revoked\n", id)
	}
	return exitOK
}

package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", "")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	bi, _ := debug.ReadBuildInfo()
	fmt.Fprintln(stdout, versionLine(bi))
	return exitOK
}

// versionLine describes the build from the information the Go toolchain
// records in every binary: the module version (set when built with
// go install module@version) and the VCS revision (set when built from a
// checkout), so a version can never disagree with the code.
func versionLine(bi *debug.BuildInfo) string {
	version := "(devel)"
	goVersion := runtime.Version()
	var details []string
	if bi != nil {
		if v := bi.Main.Version; v != "" {
			version = v
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		settings := map[string]string{}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		if rev := settings["vcs.revision"]; rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			details = append(details, "revision "+rev)
		}
		if t := settings["vcs.time"]; t != "" {
			details = append(details, t)
		}
		if settings["vcs.modified"] == "true" {
			details = append(details, "modified")
		}
	}
	line := "tuiles " + version
	if len(details) > 0 {
		line += " (" + strings.Join(details, ", ") + ")"
	}
	return line + " " + goVersion + " " + runtime.GOOS + "/" + runtime.GOARCH
}

// Package integration runs the real tuiles binary on 127.0.0.1 and drives it
// with the clients users have: GDAL's command-line tools, OWSLib, and plain
// HTTP. It holds tests only.
package integration

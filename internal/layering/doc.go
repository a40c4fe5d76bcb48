// Package layering holds the test that enforces the one-way import order of
// docs/architecture.md and ../shared/design.md: a package imports only
// packages above it, protocol packages never import each other, and only
// ogc/... touches net/http. It has no code of its own.
package layering

module github.com/tuiles/tuiles

go 1.26.8

require (
	github.com/goccy/go-yaml v1.19.2
	github.com/mattn/go-sqlite3 v1.14.53
	github.com/twpayne/go-proj/v11 v11.1.0
	golang.org/x/image v0.47.0
	golang.org/x/sync v0.25.0
)

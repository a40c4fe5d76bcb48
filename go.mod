module github.com/tuiles/tuiles

go 1.26.8

require (
	github.com/goccy/go-yaml v1.19.2 // indirect
	github.com/mattn/go-sqlite3 v1.14.53 // indirect
	github.com/paulmach/orb v0.14.0 // indirect
	github.com/prometheus/client_golang v1.25.0 // indirect
	github.com/twpayne/go-proj/v11 v11.1.0 // indirect
	go.uber.org/goleak v1.3.0 // indirect
	golang.org/x/image v0.47.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
)

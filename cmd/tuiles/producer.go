package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/tuiles/tuiles/api"
	"github.com/tuiles/tuiles/cmd/tuiles/config"
	"github.com/tuiles/tuiles/producer"
)

// producerAPI is the running producer API: its catalog, handler and job
// runner.
type producerAPI struct {
	catalog *producer.Catalog
	handler *api.Handler
	stop    func()
}

// producerPaths are the producer catalog's and data directory's paths.
func producerPaths(cfg *config.Config) (dataDir, catalogPath string) {
	dataDir = cfg.Resolve(cfg.Producer.DataDir)
	return dataDir, filepath.Join(dataDir, "producer.db")
}

// openProducers opens the producer catalog of cfg, making its directory.
func openProducers(ctx context.Context, cfg *config.Config) (*producer.Catalog, string, error) {
	if cfg.Producer.DataDir == "" {
		return nil, "", fmt.Errorf("%s has no producer.data_dir: the producer API is off", cfg.File())
	}
	dataDir, path := producerPaths(cfg)
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, "", err
	}
	cat, err := producer.Open(ctx, path)
	return cat, dataDir, err
}

// startProducerAPI opens the producer catalog, makes every build of
// reloads add its publications, and starts the job runner.
func startProducerAPI(ctx context.Context, cfg *config.Config, reloads *reloader, log *slog.Logger) (*producerAPI, error) {
	cat, dataDir, err := openProducers(ctx, cfg)
	if err != nil {
		return nil, err
	}
	reloads.withPublications(cat, dataDir)
	o := api.Options{
		Catalog:        cat,
		DataDir:        dataDir,
		MaxUploadBytes: cfg.Producer.MaxUploadBytes,
		PublicURL:      cfg.Server.PublicURL,
		Changed:        reloads.apply,
		Logger:         log,
	}
	runner := api.NewRunner(o)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runner.Run(runCtx)
	}()
	return &producerAPI{
		catalog: cat,
		handler: api.NewHandler(o, runner),
		stop: func() {
			cancel()
			<-done
		},
	}, nil
}

func (p *producerAPI) close() {
	p.stop()
	_ = p.catalog.Close()
}

// withPublications adds the producers' publications to cfg when it has
// a producer API, for the commands that work on layers (seed): they are
// layers like the file's own. Their problems are the configuration's.
func withPublications(ctx context.Context, cfg *config.Config) (*config.Config, error) {
	if cfg.Producer.DataDir == "" {
		return cfg, nil
	}
	dataDir, path := producerPaths(cfg)
	if _, err := os.Stat(path); err != nil {
		return cfg, nil // no producer has published anything yet
	}
	cat, err := producer.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer cat.Close()
	doc, err := publishedDoc(ctx, cat, dataDir)
	if err != nil {
		return nil, err
	}
	return cfg.WithLayers(doc, "publications", dataDir)
}

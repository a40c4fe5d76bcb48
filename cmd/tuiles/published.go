package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"

	"github.com/tuiles/tuiles/producer"
)

// publishedDoc describes the producers' publications as configuration
// layers, in a YAML document (JSON is YAML) that config.WithLayers
// appends to the file's layers. Styles are written to files of dataDir
// named by their content, since layers name their SLD files; relative
// paths are to dataDir.
func publishedDoc(ctx context.Context, cat *producer.Catalog, dataDir string) ([]byte, error) {
	pubs, err := cat.AllPublished(ctx)
	if err != nil {
		return nil, err
	}
	type data struct {
		Table  string `json:"table,omitempty"`
		Store  string `json:"store,omitempty"`
		Raster string `json:"raster,omitempty"`
	}
	type tiles struct {
		Sets    []string `json:"sets"`
		Formats []string `json:"formats"`
		Cache   string   `json:"cache"`
		MaxZoom *int     `json:"max_zoom,omitempty"`
		Seed    *int     `json:"seed_max_zoom,omitempty"`
	}
	type layer struct {
		Name      string   `json:"name"`
		Title     string   `json:"title,omitempty"`
		Abstract  string   `json:"abstract,omitempty"`
		Keywords  []string `json:"keywords,omitempty"`
		Data      data     `json:"data"`
		Styles    []string `json:"styles,omitempty"`
		Services  []string `json:"services"`
		Tiles     *tiles   `json:"tiles,omitempty"`
		AccessKey string   `json:"access_key_sha256,omitempty"`
	}
	doc := struct {
		Layers []layer `json:"layers"`
	}{Layers: []layer{}}
	for _, p := range pubs {
		l := layer{Name: p.Name, Title: p.Title, Abstract: p.Abstract, Keywords: p.Keywords, Services: p.Services, AccessKey: p.AccessKeyHash}
		if p.Dataset.Kind == producer.Raster {
			l.Data.Raster = p.Dataset.Location
		} else {
			l.Data.Table, l.Data.Store = p.Dataset.Location, "store.gpkg"
		}
		for _, sld := range p.StyleSLDs {
			sum := sha256.Sum256(sld)
			// Named by content alone: producer names are free text, and
			// must not shape a path.
			name := "style-" + hex.EncodeToString(sum[:16]) + ".sld"
			path := filepath.Join(dataDir, "styles", name)
			if _, err := os.Stat(path); err != nil {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					return nil, err
				}
				if err := os.WriteFile(path, sld, 0o644); err != nil {
					return nil, err
				}
			}
			l.Styles = append(l.Styles, filepath.Join("styles", name))
		}
		if slices.ContainsFunc(p.Services, func(s string) bool { return s == "wmts" || s == "tms" || s == "xyz" }) {
			l.Tiles = &tiles{Sets: p.TileMatrixSets, Formats: []string{p.Format}, MaxZoom: p.MaxZoom, Seed: p.SeedMaxZoom,
				Cache: filepath.Join("cache", p.Name+"-{set}.mbtiles")}
		}
		doc.Layers = append(doc.Layers, l)
	}
	return json.Marshal(doc)
}

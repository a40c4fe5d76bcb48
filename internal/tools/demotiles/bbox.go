package main

import (
	"encoding/json"
	"errors"
)

// parseBBox reads the bbox member GDAL writes on a GeoJSON collection with
// WRITE_BBOX=YES.
func parseBBox(data []byte) ([4]float64, error) {
	var fc struct {
		BBox []float64 `json:"bbox"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return [4]float64{}, err
	}
	if len(fc.BBox) != 4 {
		return [4]float64{}, errors.New("no bbox in GeoJSON")
	}
	return [4]float64{fc.BBox[0], fc.BBox[1], fc.BBox[2], fc.BBox[3]}, nil
}

package api

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tuiles/tuiles/producer"
)

// uploadTimeout is how long a client may take to send an upload; the
// server's usual read timeout (a minute) is too short for large files.
const uploadTimeout = 30 * time.Minute

// Limits of archives: how many entries, and how much they may unpack to
// relative to the upload, so that a zip bomb fails fast.
const (
	maxZipEntries = 10_000
	maxZipRatio   = 10
)

// receive stores the files of an upload in dir: the parts named "file" of
// a multipart/form-data body, or the whole body when its Content-Type is
// not a form (the file name then comes from ?filename=). It returns the
// form's other fields.
func (h *Handler) receive(w http.ResponseWriter, r *http.Request, dir string) (map[string]string, error) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(uploadTimeout))
	body := http.MaxBytesReader(w, r.Body, h.o.MaxUploadBytes)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	fields := map[string]string{}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			fields[k] = v[0]
		}
	}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		name, err := safeName(r.URL.Query().Get("filename"))
		if err != nil {
			return nil, err
		}
		return fields, saveFile(filepath.Join(dir, name), body)
	}
	if params["boundary"] == "" {
		return nil, badf("multipart/form-data without a boundary")
	}
	mr := multipart.NewReader(body, params["boundary"])
	files := 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, wrapBodyErr(err)
		}
		if part.FormName() != "file" {
			b, err := io.ReadAll(io.LimitReader(part, 4096))
			if err != nil {
				return nil, wrapBodyErr(err)
			}
			fields[part.FormName()] = string(b)
			continue
		}
		name, err := safeName(part.FileName())
		if err != nil {
			return nil, err
		}
		if err := saveFile(filepath.Join(dir, name), part); err != nil {
			return nil, err
		}
		files++
	}
	if files == 0 {
		return nil, badf(`no file in the upload: send the files as form fields named "file" (curl -F file=@roads.zip)`)
	}
	return fields, nil
}

func wrapBodyErr(err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return err
	}
	return badf("reading the upload: %v", err)
}

// safeName accepts a plain file name: no directory, no hidden file.
func safeName(name string) (string, error) {
	base := filepath.Base(filepath.Clean("/" + strings.ReplaceAll(name, "\\", "/")))
	switch {
	case name == "":
		return "", badf("the file has no name: give ?filename= (or send a form file)")
	case base != name, base == "/", base == ".", strings.HasPrefix(base, "."), len(base) > 200:
		return "", badf("file name %q: want a plain name, no directory", name)
	}
	return base, nil
}

func saveFile(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return badf("file %s sent twice", filepath.Base(path))
		}
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return wrapBodyErr(err)
	}
	return nil
}

// unzip extracts the archive into dir, refusing entries that would land
// outside it (zip-slip), links, too many entries, and more than limit
// bytes unpacked (zip bombs).
func unzip(ctx context.Context, archive, dir string, limit int64) error {
	zr, err := zip.OpenReader(archive)
	if err != nil {
		return fmt.Errorf("%s: not a readable zip archive: %v", filepath.Base(archive), err)
	}
	defer zr.Close()
	if len(zr.File) > maxZipEntries {
		return fmt.Errorf("%s has %d entries; at most %d", filepath.Base(archive), len(zr.File), maxZipEntries)
	}
	var total int64
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := filepath.Clean(filepath.FromSlash(f.Name))
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, ".."+string(filepath.Separator)) || strings.Contains(f.Name, "\\") {
			return fmt.Errorf("%s: entry %q leaves the archive's directory", filepath.Base(archive), f.Name)
		}
		mode := f.Mode()
		switch {
		case mode&os.ModeSymlink != 0:
			return fmt.Errorf("%s: entry %q is a symbolic link; links are refused", filepath.Base(archive), f.Name)
		case mode.IsDir():
			if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
				return err
			}
			continue
		case !mode.IsRegular():
			return fmt.Errorf("%s: entry %q is not a regular file", filepath.Base(archive), f.Name)
		}
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("%s: entry %q: %v", filepath.Base(archive), f.Name, err)
		}
		out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			rc.Close()
			return fmt.Errorf("%s: entry %q: %v", filepath.Base(archive), f.Name, err)
		}
		// The declared size may lie: count what actually comes out.
		n, err := io.Copy(out, io.LimitReader(rc, limit-total+1))
		rc.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: entry %q: %v", filepath.Base(archive), f.Name, err)
		}
		if total += n; total > limit {
			return fmt.Errorf("%s unpacks to more than %d bytes (a zip bomb?); refused", filepath.Base(archive), limit)
		}
	}
	return nil
}

// datasetInput is what an upload turned into: the file GDAL reads.
type datasetInput struct {
	path string
	kind string // producer.Vector or producer.Raster
}

// kindOf tells, from its extension, whether a file may be an upload's
// main file: vector, raster, or "" for companion files (.dbf, .shx, .prj,
// .cpg, .aux.xml...) and anything else. VRT files are left out on purpose:
// they can point anywhere on the server. The extension only picks the
// candidate; GDAL reading the content decides (a mislabelled file fails
// the job).
func kindOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".shp", ".gpkg", ".geojson", ".json", ".csv", ".fgb", ".kml", ".gml", ".gpx", ".sqlite", ".tab", ".mif":
		return producer.Vector
	case ".tif", ".tiff", ".jp2", ".asc", ".img":
		return producer.Raster
	}
	return ""
}

// mainFile finds the one data file of an upload directory (zip archives
// unpacked first).
func mainFile(ctx context.Context, dir string, unzipLimit int64) (datasetInput, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return datasetInput{}, err
	}
	for _, e := range entries {
		if strings.EqualFold(filepath.Ext(e.Name()), ".zip") {
			if err := unzip(ctx, filepath.Join(dir, e.Name()), filepath.Join(dir, "unzipped-"+e.Name()), unzipLimit); err != nil {
				return datasetInput{}, err
			}
		}
	}
	var found []datasetInput
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if d.Type()&os.ModeSymlink != 0 {
			return fmt.Errorf("%s is a link; links are refused", d.Name())
		}
		if k := kindOf(path); k != "" {
			found = append(found, datasetInput{path: path, kind: k})
		}
		return nil
	})
	if err != nil {
		return datasetInput{}, err
	}
	switch len(found) {
	case 0:
		return datasetInput{}, errors.New("no data file in the upload (GeoPackage, Shapefile, GeoJSON, CSV, FlatGeobuf, KML, GML, GeoTIFF...)")
	case 1:
		return found[0], nil
	}
	var names []string
	for _, f := range found {
		names = append(names, filepath.Base(f.path))
	}
	return datasetInput{}, fmt.Errorf("the upload holds several data files (%s): upload one dataset at a time", strings.Join(names, ", "))
}

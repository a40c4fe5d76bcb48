package producer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Style is an SLD style a producer uploaded.
type Style struct {
	ID       int64     `json:"id"`
	Producer string    `json:"producer"`
	Name     string    `json:"name"`
	SLD      []byte    `json:"-"`
	Updated  time.Time `json:"updated"`
	producer int64
}

// PutStyle creates style name, or replaces its SLD; the caller has
// checked the SLD.
func (c *Catalog) PutStyle(ctx context.Context, a Actor, name string, sld []byte) (Style, bool, error) {
	if !ValidName(name) {
		return Style{}, false, fmt.Errorf("style name %q: want a letter then letters, digits, '_' or '-' (at most 64)", name)
	}
	t := now()
	res, err := c.db.ExecContext(ctx, `UPDATE styles SET sld = ?, updated = ? WHERE name = ? AND producer_id = ?`, sld, t, name, a.ProducerID)
	if err != nil {
		return Style{}, false, err
	}
	created := false
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := c.db.ExecContext(ctx, `INSERT INTO styles (producer_id, name, sld, updated) VALUES (?, ?, ?, ?)`, a.ProducerID, name, sld, t); err != nil {
			return Style{}, false, err
		}
		created = true
	}
	s, err := c.StyleNamed(ctx, a, name)
	return s, created, err
}

const styleColumns = `s.id, p.name, s.name, s.sld, s.updated, s.producer_id`

func scanStyle(row scanner) (Style, error) {
	var s Style
	var updated string
	if err := row.Scan(&s.ID, &s.Producer, &s.Name, &s.SLD, &updated, &s.producer); err != nil {
		return Style{}, err
	}
	s.Updated = parseTime(updated)
	return s, nil
}

// StyleNamed returns the actor's own style name.
func (c *Catalog) StyleNamed(ctx context.Context, a Actor, name string) (Style, error) {
	s, err := scanStyle(c.db.QueryRowContext(ctx, `SELECT `+styleColumns+` FROM styles s JOIN producers p ON p.id = s.producer_id
		WHERE s.name = ? AND s.producer_id = ?`, name, a.ProducerID))
	if errors.Is(err, sql.ErrNoRows) {
		return Style{}, fmt.Errorf("style %q: %w", name, ErrNotFound)
	}
	return s, err
}

// Style returns style id if the actor may see it.
func (c *Catalog) Style(ctx context.Context, a Actor, id int64) (Style, error) {
	s, err := scanStyle(c.db.QueryRowContext(ctx, `SELECT `+styleColumns+` FROM styles s JOIN producers p ON p.id = s.producer_id
		WHERE s.id = ? AND s.`+visibleOwner, append([]any{id}, visibleArgs(a)...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return Style{}, fmt.Errorf("style %d: %w", id, ErrNotFound)
	}
	return s, err
}

// Styles lists the styles the actor may see.
func (c *Catalog) Styles(ctx context.Context, a Actor) ([]Style, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT `+styleColumns+` FROM styles s JOIN producers p ON p.id = s.producer_id
		WHERE s.`+visibleOwner+` ORDER BY s.id`, visibleArgs(a)...)
	return collect(rows, err, scanStyle)
}

// UpdateStyle replaces the SLD of style id.
func (c *Catalog) UpdateStyle(ctx context.Context, a Actor, id int64, sld []byte) (Style, error) {
	if _, err := c.Style(ctx, a, id); err != nil {
		return Style{}, err
	}
	if _, err := c.db.ExecContext(ctx, `UPDATE styles SET sld = ?, updated = ? WHERE id = ?`, sld, now(), id); err != nil {
		return Style{}, err
	}
	return c.Style(ctx, a, id)
}

// DeleteStyle removes style id; it refuses while a publication uses it.
func (c *Catalog) DeleteStyle(ctx context.Context, a Actor, id int64) error {
	s, err := c.Style(ctx, a, id)
	if err != nil {
		return err
	}
	var n int
	if err := c.db.QueryRowContext(ctx, `SELECT count(*) FROM publication_styles WHERE style_id = ?`, id).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("style %q is used by %d publication(s): %w", s.Name, n, ErrInUse)
	}
	_, err = c.db.ExecContext(ctx, `DELETE FROM styles WHERE id = ?`, id)
	return err
}

// Spec is what a publication publishes: a dataset as a layer of the
// server, on chosen services.
type Spec struct {
	Title    string   `json:"title,omitempty"`
	Abstract string   `json:"abstract,omitempty"`
	Keywords []string `json:"keywords,omitempty"`
	// Services are among wms, wfs, wmts, tms, xyz; empty: all the
	// dataset's kind allows.
	Services []string `json:"services,omitempty"`
	// TileMatrixSets of the tiles (default WebMercatorQuad); Format png,
	// jpeg or pbf (vector tiles); MaxZoom the deepest level (default the
	// set's, at most 20).
	TileMatrixSets []string `json:"tile_matrix_sets,omitempty"`
	Format         string   `json:"format,omitempty"`
	MaxZoom        *int     `json:"max_zoom,omitempty"`
	// SeedMaxZoom has the server render the tiles down to this zoom in
	// the background (tiles.seed_max_zoom).
	SeedMaxZoom *int `json:"seed_max_zoom,omitempty"`
	// Restricted layers are served only to holders of the access key.
	Restricted bool `json:"restricted,omitempty"`
}

// Publication is a dataset published as a layer.
type Publication struct {
	ID        int64  `json:"id"`
	Producer  string `json:"producer"`
	Name      string `json:"name"`
	DatasetID int64  `json:"dataset"`
	Spec
	// Styles are the names of the producer's styles, the first the
	// default.
	Styles   []string  `json:"styles"`
	Updated  time.Time `json:"updated"`
	producer int64
	// AccessKeyHash is the hash of a restricted layer's access key.
	AccessKeyHash string `json:"-"`
}

// Publish creates (id 0) or updates publication p, whose styles are the
// actor's style IDs in order. The name is global: layers of the server
// share one namespace.
func (c *Catalog) Publish(ctx context.Context, a Actor, p Publication, styleIDs []int64) (Publication, error) {
	if !ValidName(p.Name) {
		return Publication{}, fmt.Errorf("publication name %q: want a letter then letters, digits, '_' or '-' (at most 64)", p.Name)
	}
	d, err := c.Dataset(ctx, a, p.DatasetID)
	if err != nil {
		return Publication{}, err
	}
	if d.Version == 0 {
		return Publication{}, fmt.Errorf("dataset %q has no data yet (status %s): %w", d.Name, d.Status, ErrInUse)
	}
	spec, err := json.Marshal(p.Spec)
	if err != nil {
		return Publication{}, err
	}
	if p.ID != 0 {
		if _, err := c.Publication(ctx, a, p.ID); err != nil {
			return Publication{}, err
		}
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return Publication{}, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	t := now()
	id := p.ID
	if id == 0 {
		res, err := tx.ExecContext(ctx, `INSERT INTO publications (producer_id, dataset_id, name, spec, access_key_hash, updated) VALUES (?, ?, ?, ?, ?, ?)`,
			a.ProducerID, p.DatasetID, p.Name, string(spec), p.AccessKeyHash, t)
		if isUnique(err) {
			return Publication{}, fmt.Errorf("layer name %q: %w", p.Name, ErrConflict)
		}
		if err != nil {
			return Publication{}, err
		}
		id, _ = res.LastInsertId()
	} else {
		_, err := tx.ExecContext(ctx, `UPDATE publications SET dataset_id = ?, spec = ?, access_key_hash = ?, updated = ? WHERE id = ?`,
			p.DatasetID, string(spec), p.AccessKeyHash, t, id)
		if err != nil {
			return Publication{}, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM publication_styles WHERE publication_id = ?`, id); err != nil {
			return Publication{}, err
		}
	}
	for i, sid := range styleIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO publication_styles (publication_id, style_id, position) VALUES (?, ?, ?)`, id, sid, i); err != nil {
			return Publication{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Publication{}, err
	}
	return c.Publication(ctx, a, id)
}

const publicationColumns = `pb.id, p.name, pb.name, pb.dataset_id, pb.spec, pb.access_key_hash, pb.updated, pb.producer_id`

func scanPublication(row scanner) (Publication, error) {
	var p Publication
	var spec, updated string
	if err := row.Scan(&p.ID, &p.Producer, &p.Name, &p.DatasetID, &spec, &p.AccessKeyHash, &updated, &p.producer); err != nil {
		return Publication{}, err
	}
	if err := json.Unmarshal([]byte(spec), &p.Spec); err != nil {
		return Publication{}, fmt.Errorf("publication %d: %w", p.ID, err)
	}
	p.Updated = parseTime(updated)
	return p, nil
}

func (c *Catalog) publicationStyles(ctx context.Context, ps []Publication) error {
	for i := range ps {
		rows, err := c.db.QueryContext(ctx, `SELECT s.name FROM publication_styles ps JOIN styles s ON s.id = ps.style_id
			WHERE ps.publication_id = ? ORDER BY ps.position`, ps[i].ID)
		if err != nil {
			return err
		}
		ps[i].Styles = []string{}
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				rows.Close()
				return err
			}
			ps[i].Styles = append(ps[i].Styles, name)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Catalog) queryPublications(ctx context.Context, where string, args ...any) ([]Publication, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT `+publicationColumns+` FROM publications pb JOIN producers p ON p.id = pb.producer_id `+where+` ORDER BY pb.id`, args...)
	out, err := collect(rows, err, scanPublication)
	if err != nil {
		return nil, err
	}
	return out, c.publicationStyles(ctx, out)
}

// Publication returns publication id if the actor may see it.
func (c *Catalog) Publication(ctx context.Context, a Actor, id int64) (Publication, error) {
	ps, err := c.queryPublications(ctx, `WHERE pb.id = ? AND pb.`+visibleOwner, append([]any{id}, visibleArgs(a)...)...)
	if err != nil {
		return Publication{}, err
	}
	if len(ps) == 0 {
		return Publication{}, fmt.Errorf("publication %d: %w", id, ErrNotFound)
	}
	return ps[0], nil
}

// Publications lists the publications the actor may see.
func (c *Catalog) Publications(ctx context.Context, a Actor) ([]Publication, error) {
	return c.queryPublications(ctx, `WHERE pb.`+visibleOwner, visibleArgs(a)...)
}

// Published is a publication with what the server needs to build its
// layer.
type Published struct {
	Publication
	Dataset Dataset
	// StyleSLDs are the SLD documents of Styles, in order.
	StyleSLDs [][]byte
}

// AllPublished lists every publication with its dataset and styles, for
// building the server's catalog.
func (c *Catalog) AllPublished(ctx context.Context) ([]Published, error) {
	ps, err := c.queryPublications(ctx, ``)
	if err != nil {
		return nil, err
	}
	out := make([]Published, 0, len(ps))
	for _, p := range ps {
		d, err := c.Dataset(ctx, Actor{ProducerID: p.producer}, p.DatasetID)
		if err != nil {
			return nil, err
		}
		pub := Published{Publication: p, Dataset: d}
		for _, name := range p.Styles {
			s, err := c.StyleNamed(ctx, Actor{ProducerID: p.producer}, name)
			if err != nil {
				return nil, err
			}
			pub.StyleSLDs = append(pub.StyleSLDs, s.SLD)
		}
		out = append(out, pub)
	}
	return out, nil
}

// Unpublish removes publication id and returns it.
func (c *Catalog) Unpublish(ctx context.Context, a Actor, id int64) (Publication, error) {
	p, err := c.Publication(ctx, a, id)
	if err != nil {
		return Publication{}, err
	}
	_, err = c.db.ExecContext(ctx, `DELETE FROM publications WHERE id = ?`, id)
	return p, err
}

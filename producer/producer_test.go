package producer

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func open(t *testing.T) *Catalog {
	t.Helper()
	c, err := Open(context.Background(), filepath.Join(t.TempDir(), "producer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func actor(t *testing.T, c *Catalog, name, community string) Actor {
	t.Helper()
	secret, _, err := c.CreateToken(context.Background(), name, community, "test")
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Authenticate(context.Background(), secret)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	c := open(t)
	secret, tok, err := c.CreateToken(ctx, "ign", "", "ci")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) < 40 {
		t.Errorf("secret %q", secret)
	}
	a, err := c.Authenticate(ctx, secret)
	if err != nil || a.Name != "ign" {
		t.Fatalf("authenticate: %+v %v", a, err)
	}
	for _, bad := range []string{"", "tuiles_", secret + "x", strings.TrimPrefix(secret, tokenPrefix), HashSecret(secret)} {
		if _, err := c.Authenticate(ctx, bad); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("authenticate %q: %v", bad, err)
		}
	}
	if err := c.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Authenticate(ctx, secret); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("a revoked token still authenticates: %v", err)
	}
	if err := c.RevokeToken(ctx, tok.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoking twice: %v", err)
	}
	toks, err := c.Tokens(ctx)
	if err != nil || len(toks) != 1 || toks[0].Revoked == nil {
		t.Errorf("tokens %+v %v", toks, err)
	}
}

// Producers see their own objects and their community's, and nothing
// else exists for them.
func TestIsolation(t *testing.T) {
	ctx := context.Background()
	c := open(t)
	a := actor(t, c, "a", "")
	b := actor(t, c, "b", "")
	a2 := actor(t, c, "a2", "team")
	a3 := actor(t, c, "a3", "team")
	d, j, err := c.CreateDataset(ctx, a, "roads", Vector)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Dataset(ctx, b, d.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("b reads a's dataset: %v", err)
	}
	if _, err := c.Job(ctx, b, j.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("b reads a's job: %v", err)
	}
	if _, err := c.DeleteDataset(ctx, b, d.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("b deletes a's dataset: %v", err)
	}
	if ds, _ := c.Datasets(ctx, b); len(ds) != 0 {
		t.Errorf("b lists %d datasets", len(ds))
	}
	// The same name is free for another producer.
	if _, _, err := c.CreateDataset(ctx, b, "roads", Vector); err != nil {
		t.Errorf("b's own roads: %v", err)
	}
	if _, _, err := c.CreateDataset(ctx, a, "roads", Vector); !errors.Is(err, ErrConflict) {
		t.Errorf("a's second roads: %v", err)
	}
	// Community: a2 and a3 share.
	d2, _, err := c.CreateDataset(ctx, a2, "parcels", Vector)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Dataset(ctx, a3, d2.ID); err != nil {
		t.Errorf("a3 cannot read its community's dataset: %v", err)
	}
	if _, err := c.Dataset(ctx, a, d2.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("a reads the team's dataset: %v", err)
	}
	s, _, err := c.PutStyle(ctx, a, "red", []byte("<sld/>"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Style(ctx, b, s.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("b reads a's style: %v", err)
	}
	if _, err := c.UpdateStyle(ctx, b, s.ID, []byte("x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("b changes a's style: %v", err)
	}
	if err := c.DeleteStyle(ctx, b, s.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("b deletes a's style: %v", err)
	}
}

// A job's end moves the dataset to a new version, or leaves it as it
// was; published datasets and used styles cannot be deleted.
func TestJobsAndDependencies(t *testing.T) {
	ctx := context.Background()
	c := open(t)
	a := actor(t, c, "a", "")
	d, j, err := c.CreateDataset(ctx, a, "roads", Vector)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx, a, Publication{Name: "roads", DatasetID: d.ID}, nil); !errors.Is(err, ErrInUse) {
		t.Errorf("publishing a dataset with no data: %v", err)
	}
	if _, err := c.NewVersion(ctx, a, d.ID); !errors.Is(err, ErrInUse) {
		t.Errorf("a second job while one is queued: %v", err)
	}
	if err := c.StartJob(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.JobProgress(ctx, j.ID, 0.5, "half way"); err != nil {
		t.Fatal(err)
	}
	got, err := c.FinishJob(ctx, j.ID, Version{Location: "d1", CRS: "EPSG:2154", Features: 10, Bounds: &[4]float64{1, 2, 3, 4}}, nil)
	if err != nil || got.Version != 1 || got.Status != StatusReady || got.Features != 10 || got.Bounds == nil {
		t.Fatalf("after the first job: %+v %v", got, err)
	}
	if jj, _ := c.Job(ctx, a, j.ID); jj.Status != StatusRunning {
		t.Errorf("a job is done only once its version is live: %s", jj.Status)
	}
	if err := c.SucceedJob(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	jj, _ := c.Job(ctx, a, j.ID)
	if jj.Status != StatusSucceeded || len(jj.Log) != 1 || !strings.Contains(jj.Log[0], "half way") || jj.Finished == nil {
		t.Errorf("job %+v", jj)
	}
	// A failed update keeps the version.
	j2, err := c.NewVersion(ctx, a, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err = c.FinishJob(ctx, j2.ID, Version{}, errors.New("bad file"))
	if err != nil || got.Version != 1 || got.Status != StatusReady || got.Location != "d1" {
		t.Errorf("after a failed update: %+v %v", got, err)
	}
	s, _, err := c.PutStyle(ctx, a, "red", []byte("<sld/>"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Publish(ctx, a, Publication{Name: "roads", DatasetID: d.ID, Spec: Spec{Title: "Roads"}}, []int64{s.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Styles) != 1 || p.Styles[0] != "red" || p.Title != "Roads" {
		t.Errorf("publication %+v", p)
	}
	b := actor(t, c, "b", "")
	db, j3, _ := c.CreateDataset(ctx, b, "x", Vector)
	_ = c.StartJob(ctx, j3.ID)
	if _, err := c.FinishJob(ctx, j3.ID, Version{Location: "d2"}, nil); err != nil {
		t.Fatal(err)
	}
	_ = c.SucceedJob(ctx, j3.ID)
	if _, err := c.Publish(ctx, b, Publication{Name: "roads", DatasetID: db.ID}, nil); !errors.Is(err, ErrConflict) {
		t.Errorf("a layer name taken by another producer: %v", err)
	}
	if _, err := c.Publish(ctx, b, Publication{ID: p.ID, Name: "roads", DatasetID: db.ID}, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("b updates a's publication: %v", err)
	}
	if _, err := c.Unpublish(ctx, b, p.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("b unpublishes a's publication: %v", err)
	}
	if _, err := c.DeleteDataset(ctx, a, d.ID); !errors.Is(err, ErrInUse) {
		t.Errorf("deleting a published dataset: %v", err)
	}
	if err := c.DeleteStyle(ctx, a, s.ID); !errors.Is(err, ErrInUse) {
		t.Errorf("deleting a used style: %v", err)
	}
	all, err := c.AllPublished(ctx)
	if err != nil || len(all) != 1 || string(all[0].StyleSLDs[0]) != "<sld/>" || all[0].Dataset.Location != "d1" {
		t.Errorf("all published: %+v %v", all, err)
	}
	if _, err := c.Unpublish(ctx, a, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteStyle(ctx, a, s.ID); err != nil {
		t.Errorf("deleting a style no longer used: %v", err)
	}
	if _, err := c.DeleteDataset(ctx, a, d.ID); err != nil {
		t.Errorf("deleting an unpublished dataset: %v", err)
	}
}

func TestResumeJobs(t *testing.T) {
	ctx := context.Background()
	c := open(t)
	a := actor(t, c, "a", "")
	_, j, _ := c.CreateDataset(ctx, a, "roads", Vector)
	_ = c.StartJob(ctx, j.ID)
	if err := c.ResumeJobs(ctx); err != nil {
		t.Fatal(err)
	}
	pending, err := c.PendingJobs(ctx)
	if err != nil || len(pending) != 1 || pending[0].ID != j.ID {
		t.Errorf("pending %+v %v", pending, err)
	}
}

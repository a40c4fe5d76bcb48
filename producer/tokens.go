package producer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Producer is a data producer.
type Producer struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Community string    `json:"community,omitempty"`
	Created   time.Time `json:"created"`
}

// Token describes an API token; the secret itself is shown once, when it
// is created, and only its hash is kept.
type Token struct {
	ID       int64      `json:"id"`
	Producer string     `json:"producer"`
	Label    string     `json:"label,omitempty"`
	Created  time.Time  `json:"created"`
	Revoked  *time.Time `json:"revoked,omitempty"`
	producer int64
}

// tokenPrefix marks tuiles tokens, so that a leaked one is recognisable
// (secret scanners, logs).
const tokenPrefix = "tuiles_"

// HashSecret is how secrets (API tokens, access keys) are kept: SHA-256.
// They are 256-bit random values, so a fast hash is enough; nothing can be
// guessed from it.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewSecret returns a random secret with prefix.
func NewSecret(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// EnsureProducer returns the producer named name, creating it in
// community when missing. An existing producer keeps its community unless
// community is given.
func (c *Catalog) EnsureProducer(ctx context.Context, name, community string) (Producer, error) {
	if name == "" || strings.TrimSpace(name) != name || len(name) > 100 {
		return Producer{}, fmt.Errorf("producer name %q: want 1 to 100 characters without surrounding spaces", name)
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return Producer{}, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var p Producer
	var created string
	err = tx.QueryRowContext(ctx, `SELECT id, name, community, created FROM producers WHERE name = ?`, name).Scan(&p.ID, &p.Name, &p.Community, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		created = now()
		res, err := tx.ExecContext(ctx, `INSERT INTO producers (name, community, created) VALUES (?, ?, ?)`, name, community, created)
		if err != nil {
			return Producer{}, err
		}
		p = Producer{Name: name, Community: community}
		if p.ID, err = res.LastInsertId(); err != nil {
			return Producer{}, err
		}
	case err != nil:
		return Producer{}, err
	case community != "" && community != p.Community:
		if _, err := tx.ExecContext(ctx, `UPDATE producers SET community = ? WHERE id = ?`, community, p.ID); err != nil {
			return Producer{}, err
		}
		p.Community = community
	}
	p.Created = parseTime(created)
	return p, tx.Commit()
}

// CreateToken makes a token for the producer named name (created in
// community when missing) and returns its secret, shown this once.
func (c *Catalog) CreateToken(ctx context.Context, name, community, label string) (string, Token, error) {
	p, err := c.EnsureProducer(ctx, name, community)
	if err != nil {
		return "", Token{}, err
	}
	secret, err := NewSecret(tokenPrefix)
	if err != nil {
		return "", Token{}, err
	}
	created := now()
	res, err := c.db.ExecContext(ctx, `INSERT INTO tokens (producer_id, hash, label, created) VALUES (?, ?, ?, ?)`, p.ID, HashSecret(secret), label, created)
	if err != nil {
		return "", Token{}, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return "", Token{}, err
	}
	return secret, Token{ID: id, Producer: p.Name, Label: label, Created: parseTime(created), producer: p.ID}, nil
}

// Tokens lists the tokens, revoked ones included.
func (c *Catalog) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT t.id, p.name, t.label, t.created, t.revoked, p.id FROM tokens t JOIN producers p ON p.id = t.producer_id ORDER BY t.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var created string
		var revoked sql.NullString
		if err := rows.Scan(&t.ID, &t.Producer, &t.Label, &created, &revoked, &t.producer); err != nil {
			return nil, err
		}
		t.Created = parseTime(created)
		if revoked.Valid {
			r := parseTime(revoked.String)
			t.Revoked = &r
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes token id; requests with it are refused from then on.
func (c *Catalog) RevokeToken(ctx context.Context, id int64) error {
	res, err := c.db.ExecContext(ctx, `UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL`, now(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("token %d: %w (or already revoked)", id, ErrNotFound)
	}
	return nil
}

// Authenticate returns the actor a token secret belongs to.
func (c *Catalog) Authenticate(ctx context.Context, secret string) (Actor, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return Actor{}, ErrUnauthorized
	}
	var a Actor
	err := c.db.QueryRowContext(ctx, `SELECT p.id, p.name, p.community FROM tokens t JOIN producers p ON p.id = t.producer_id
		WHERE t.hash = ? AND t.revoked IS NULL`, HashSecret(secret)).Scan(&a.ProducerID, &a.Name, &a.Community)
	if errors.Is(err, sql.ErrNoRows) {
		return Actor{}, ErrUnauthorized
	}
	return a, err
}

package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// resolveCache remembers which provider each looked-up domain belongs to, so that typing an
// address costs a map lookup rather than a SQLite query of twenty columns. It is dropped
// whenever anything commits to the database, from this process or another: SQLite's
// data_version, read on one dedicated connection, changes then.
type resolveCache struct {
	mu       sync.Mutex
	conn     *sql.Conn
	version  int64
	byDomain map[string]*Provider // nil value: no provider has the domain
}

func newResolveCache(ctx context.Context, db *sql.DB) (*resolveCache, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("resolve cache: %w", err)
	}
	return &resolveCache{conn: conn, version: -1}, nil
}

func (c *resolveCache) close() {
	if c != nil && c.conn != nil {
		c.conn.Close()
	}
}

// first returns a copy of the provider of the first of domains that has one, and that
// domain, loading misses with load. It returns nil when none has a provider.
func (c *resolveCache) first(ctx context.Context, domains []string, load func(string) (*Provider, error)) (*Provider, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var v int64
	if err := c.conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		return nil, "", fmt.Errorf("data version: %w", err)
	}
	if v != c.version {
		c.version, c.byDomain = v, map[string]*Provider{}
	}
	for _, d := range domains {
		cached, hit := c.byDomain[d]
		if !hit {
			var err error
			cached, err = load(d)
			if errors.Is(err, sql.ErrNoRows) {
				cached, err = nil, nil
			}
			if err != nil {
				return nil, "", err
			}
			c.byDomain[d] = cached
		}
		if cached != nil {
			cp := *cached
			cp.Domains = append([]string(nil), cached.Domains...)
			cp.Logo = append([]byte(nil), cached.Logo...)
			return &cp, d, nil
		}
	}
	return nil, "", nil
}

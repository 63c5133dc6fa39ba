package data

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// resolveCache remembers which provider each looked-up domain belongs to, so that typing an
// address costs a map lookup rather than a SQLite query of twenty columns. It is dropped
// whenever anything commits to the database, from this process or another: the store's
// versionWatch (SQLite's data_version, read on one dedicated connection) moves then.
type resolveCache struct {
	mu       sync.Mutex
	watch    *versionWatch
	gen      uint64
	byDomain map[string]*Provider // nil value: no provider has the domain
}

func newResolveCache(watch *versionWatch) *resolveCache {
	return &resolveCache{watch: watch}
}

// first returns a copy of the provider of the first of domains that has one, and that
// domain, loading misses with load. It returns nil when none has a provider.
func (c *resolveCache) first(ctx context.Context, domains []string, load func(string) (*Provider, error)) (*Provider, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	gen, err := c.watch.generation(ctx)
	if err != nil {
		return nil, "", err
	}
	if gen != c.gen || c.byDomain == nil {
		c.gen, c.byDomain = gen, map[string]*Provider{}
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

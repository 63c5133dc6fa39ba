package gui

import (
	"context"
	"errors"
	"fmt"

	"mailroom/data"
)

// watchDomainOwners names, beside the Domains field and as it is typed, the provider that
// already has the domain: a domain belongs to one provider, so Save would refuse it. The
// lookup runs off the UI goroutine; what it finds also refuses adding that domain.
func (c *providerCard) watchDomainOwners() {
	d := c.domains
	owners := map[string]string{} // domain -> the other provider that has it
	seq := 0
	typed := d.entry.OnChanged
	d.entry.OnChanged = func(text string) {
		typed(text)
		seq++
		mine := seq
		n, err := data.NormalizeDomain(text)
		if err != nil {
			return // said when it is added
		}
		self := c.orig.ID
		var owner string
		c.ui.background(func(ctx context.Context) error {
			res, err := c.ui.store.ResolveProvider(ctx, "postmaster@"+n)
			switch {
			case errors.Is(err, data.ErrNotFound):
				return nil
			case err != nil:
				return err
			}
			if res.Domain == n && res.Provider.ID != self {
				owner = res.Provider.Name
			}
			return nil
		}, func(err error) {
			if err != nil {
				c.ui.log.Warn("domain owner", "domain", n, "err", err)
				return
			}
			if owner == "" {
				delete(owners, n)
				return
			}
			owners[n] = owner
			if mine == seq {
				d.showErr(takenMessage(n, owner))
			}
		})
	}
	d.refuse = func(n string) string {
		if owner, ok := owners[n]; ok {
			return takenMessage(n, owner)
		}
		return ""
	}
}

// takenMessage says that domain belongs to the provider named owner.
func takenMessage(domain, owner string) string {
	return fmt.Sprintf("%s already belongs to %s; a domain belongs to one provider. Remove it there first.", data.DisplayDomain(domain), owner)
}

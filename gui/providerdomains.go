package gui

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
			// Said when it is added; the domain its message suggests is looked up meanwhile,
			// so the message suggests it only when it is free.
			if n, err = data.NormalizeDomain(suggestedDomain(text)); err != nil {
				return
			}
		}
		self := c.orig.ID
		var owner string
		c.ui.background(func(ctx context.Context) error {
			res, err := c.store.ResolveProvider(ctx, "postmaster@"+n)
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
			if typedN, err := data.NormalizeDomain(d.entry.Text); mine == seq && err == nil && typedN == n {
				d.showErr(takenMessage(n, owner))
			}
		})
	}
	d.hint = func(typed string, err error) string {
		s := suggestedDomain(typed)
		n, serr := data.NormalizeDomain(s)
		switch {
		case strings.TrimSpace(typed) == "":
			return "Type a domain: the part after @ in the addresses of this provider."
		case serr != nil:
			return err.Error()
		case owners[n] != "":
			return fmt.Sprintf("%q is not a domain (%s already belongs to %s).", strings.TrimSpace(typed), data.DisplayDomain(n), owners[n])
		case strings.Contains(typed, "@"):
			return "Enter only the domain, the part after @: " + data.DisplayDomain(n)
		}
		return err.Error()
	}
	d.refuse = func(n string) string {
		if owner, ok := owners[n]; ok {
			return takenMessage(n, owner)
		}
		return ""
	}
}

// suggestedDomain is the domain a message about typed, which is not one, suggests: the part
// after @ of an address, or a name without a dot with .com, as data.NormalizeDomain says.
func suggestedDomain(typed string) string {
	t := strings.TrimSpace(typed)
	if at := strings.LastIndex(t, "@"); at >= 0 {
		return t[at+1:]
	}
	if t != "" && !strings.Contains(strings.TrimSuffix(t, "."), ".") {
		return strings.TrimSuffix(t, ".") + ".com"
	}
	return t
}

// takenMessage says that domain belongs to the provider named owner.
func takenMessage(domain, owner string) string {
	return fmt.Sprintf("%s already belongs to %s; a domain belongs to one provider. Remove it there first.", data.DisplayDomain(domain), owner)
}

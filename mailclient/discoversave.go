package mailclient

import (
	"context"
	"errors"
	"fmt"

	"mailroom/data"
)

// DiscoveredSaver is what AddDiscovered needs of the store (*data.Store has it).
type DiscoveredSaver interface {
	ProviderImporter
	// SetDomain gives domain to provider providerID ("" old to add). It fails with a
	// *data.ValidationError when another provider has it, or data.ErrManaged.
	SetDomain(ctx context.Context, old, domain string, providerID int64) error
}

// AddDiscovered puts confirmed discovered settings in the providers list, so that the next
// address of that domain finds them there: the domain is added to the provider already
// imported under the same clientConfig id, else a new provider with the settings and that one
// domain is saved (its name made unique). Settings found in the list itself are returned as
// they are. It returns the stored provider, and fails as the store's Save or SetDomain do.
func AddDiscovered(ctx context.Context, store DiscoveredSaver, d *Discovery) (*data.Provider, error) {
	if d.Source == SourceDomains {
		return d.Provider, nil
	}
	if d.ConfigID != "" {
		old, err := findExternal(ctx, store, d.ConfigID)
		if err != nil {
			return nil, fmt.Errorf("add %s: %w", d.Domain, err)
		}
		if old != nil {
			if err := store.SetDomain(ctx, "", d.Domain, old.ID); err != nil {
				return nil, fmt.Errorf("add %s to %s: %w", d.Domain, old.Name, err)
			}
			return store.ProviderByExternalID(ctx, d.ConfigID)
		}
	}
	p := *d.Provider
	p.ID, p.Version, p.Domains, p.ExternalID, p.ManagedBy = 0, 0, []string{d.Domain}, d.ConfigID, ""
	name, err := uniqueName(ctx, store, p.Name, data.DisplayDomain(d.Domain), 0)
	if err != nil {
		return nil, fmt.Errorf("add %s: %w", d.Domain, err)
	}
	p.Name = name
	if err := store.Save(ctx, &p); err != nil {
		return nil, fmt.Errorf("add %s: %w", d.Domain, err)
	}
	return &p, nil
}

// AddDiscoveredMessage returns one plain sentence for an error of AddDiscovered.
func AddDiscoveredMessage(err error) string {
	var ve *data.ValidationError
	switch {
	case errors.Is(err, data.ErrManaged):
		return "That provider comes from the subscribed provider list; ask its administrator to add the domain."
	case errors.As(err, &ve):
		return "The provider could not be added: " + ve.Error() + "."
	}
	return fmt.Sprintf("The provider could not be added: %v.", err)
}

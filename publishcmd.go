package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"mailroom/data"
	"mailroom/mailclient"
)

// providersPublish writes the signed provider list to a folder. It exits 1 when it could not
// be published or a provider could not be written, 2 for bad usage.
func providersPublish(e *env, args []string) int {
	fs := flag.NewFlagSet("providers publish", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dir := fs.String("dir", "", "the folder to publish the list in")
	if err := parseArgs(fs, args); err != nil || fs.NArg() > 0 || *dir == "" {
		fmt.Fprintln(e.stderr, "Usage: mailroom providers publish --dir DIR")
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		r, err := mailclient.PublishProviders(ctx, s, data.NewSecrets(), *dir, nil)
		if r != nil && r.Export != nil {
			for _, f := range r.Export.Files {
				if f.Err != nil {
					fmt.Fprintf(e.stdout, "%s: not published: %v\n", f.Provider, f.Err)
				}
			}
		}
		if err != nil {
			e.log.Error("publish provider list", "err", err)
			fmt.Fprintf(e.stderr, "mailroom: %s\n", mailclient.PublishMessage(err))
			return 1
		}
		fmt.Fprintf(e.stdout, "Published list number %d in %s: %d providers, signed by key %s\n", r.Sequence, r.Dir,
			len(r.Export.Files)-r.Export.Failed(), data.KeyFingerprint(r.SignedBy))
		printPublishers(e, r.Publishers)
		if r.Export.Failed() > 0 {
			return 1
		}
		return 0
	})
}

// providersKey prints this database's public key in minisign's format (making the key pair
// on first use), and its fingerprint.
func providersKey(e *env, args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(e.stderr, "Usage: mailroom providers key")
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		key, err := mailclient.OwnPublicKey(ctx, s, data.NewSecrets())
		if err != nil {
			e.log.Error("provider list key", "err", err)
			fmt.Fprintf(e.stderr, "mailroom: %s\n", mailclient.PublishMessage(err))
			return 1
		}
		fmt.Fprint(e.stdout, mailclient.PublicKeyText(key))
		fmt.Fprintf(e.stderr, "Fingerprint: %s\n", data.KeyFingerprint(key))
		return 0
	})
}

// providersPublishers lists the publishers (the set this database publishes, or on a
// subscriber the subscribed list's), or grants or revokes one.
func providersPublishers(e *env, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "grant":
			return publishersGrant(e, args[1:])
		case "revoke":
			return publishersRevoke(e, args[1:])
		}
		fmt.Fprintln(e.stderr, "Usage: mailroom providers publishers [grant PUBKEY --name NAME | revoke PUBKEY]")
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		mine, err := s.Publishers(ctx)
		if err == nil && len(mine) == 0 {
			if mine, err = s.ListPublishers(ctx); err == nil && len(mine) > 0 {
				fmt.Fprintln(e.stdout, "Publishers of the subscribed provider list:")
			}
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "mailroom: the publishers cannot be read: %v\n", err)
			return 1
		}
		if len(mine) == 0 {
			fmt.Fprintln(e.stdout, "No publishers yet: the first publish (mailroom providers publish --dir DIR) makes you the first.")
			return 0
		}
		printPublishers(e, mine)
		return 0
	})
}

func printPublishers(e *env, list []data.Publisher) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tFINGERPRINT\tPUBLIC KEY")
	for _, p := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, p.Fingerprint(), p.PublicKey)
	}
	tw.Flush()
}

func publishersGrant(e *env, args []string) int {
	fs := flag.NewFlagSet("providers publishers grant", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	name := fs.String("name", "", "the publisher's name, as colleagues know them")
	const usage = "mailroom providers publishers grant PUBKEY --name NAME"
	key, ok := parseWithAddress(e, fs, args, usage)
	if !ok {
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		if _, err := mailclient.OwnPublicKey(ctx, s, data.NewSecrets()); err != nil {
			fmt.Fprintf(e.stderr, "mailroom: %s\n", mailclient.PublishMessage(err))
			return 1
		}
		p, err := s.GrantPublisher(ctx, key, *name)
		if err != nil {
			e.log.Error("grant publisher", "err", err)
			fmt.Fprintf(e.stderr, "mailroom: %s\n", mailclient.PublishersMessage(err))
			return 1
		}
		fmt.Fprintf(e.stdout, "%s (%s) may publish the provider list from the next publish on\n", p.Name, p.Fingerprint())
		return 0
	})
}

func publishersRevoke(e *env, args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(e.stderr, "Usage: mailroom providers publishers revoke PUBKEY")
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		if err := s.RevokePublisher(ctx, args[0]); err != nil {
			e.log.Error("revoke publisher", "err", err)
			fmt.Fprintf(e.stderr, "mailroom: %s\n", mailclient.PublishersMessage(err))
			return 1
		}
		fmt.Fprintf(e.stdout, "%s may no longer publish the provider list, from the next publish on\n", data.KeyFingerprint(args[0]))
		return 0
	})
}

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"mailroom/data"
	"mailroom/mailclient"
)

// mailboxCommands are the "mailroom mailbox" commands.
func mailboxCommands() []command {
	return []command{
		{name: "add", summary: "test and add a mailbox: ADDRESS [--name NAME] [--provider NAME] [--login LOGIN] [--password-stdin | --oauth] [--trust-cert SHA256]...", run: mailboxAdd},
		{name: "list", summary: "print your mailboxes [--json]", run: mailboxList},
		{name: "test", summary: "test the connection of a mailbox: ADDRESS", run: mailboxTest},
		{name: "remove", summary: "remove a mailbox and its saved password: ADDRESS", run: mailboxRemove},
	}
}

// stringList is a flag that may be given several times.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// parseWithAddress parses fs from args, which hold exactly one address anywhere among the flags.
func parseWithAddress(e *env, fs *flag.FlagSet, args []string, usage string) (string, bool) {
	if err := parseArgs(fs, args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "Usage: "+usage)
		return "", false
	}
	return fs.Arg(0), true
}

// fail prints the plain sentence for err, logs the whole chain, and returns exit status 1.
func fail(e *env, what string, err error) int {
	e.log.Warn(what, "err", err)
	fmt.Fprintf(e.stderr, "mailroom: %s\n", mailclient.Explain(err))
	return 1
}

// withStore opens the database and runs fn with it and a context that Ctrl-C cancels,
// returning fn's exit status; 1, with the reason printed, when the database does not open.
func withStore(e *env, fn func(ctx context.Context, s *data.Store) int) int {
	s, ok := openStore(e)
	if !ok {
		return 1
	}
	defer s.Close()
	ctx, stop := interruptible()
	defer stop()
	return stoppedStatus(ctx, fn(ctx, s))
}

func mailboxAdd(e *env, args []string) int {
	const use = "mailroom mailbox add ADDRESS [--name NAME] [--provider NAME] [--login LOGIN] [--password-stdin | --oauth] [--trust-cert SHA256]..."
	fs := flag.NewFlagSet("mailbox add", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	name := fs.String("name", "", "sender name shown to recipients")
	providerName := fs.String("provider", "", "provider name; default: found by the address's domain")
	login := fs.String("login", "", "login; default: by the provider's login rule")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	oauth := fs.Bool("oauth", false, "sign in through the browser (OAuth 2.0), for a provider set up for it")
	var trust stringList
	fs.Var(&trust, "trust-cert", "SHA-256 fingerprint of a server certificate to trust (may be repeated)")
	address, ok := parseWithAddress(e, fs, args, use)
	if !ok {
		return 2
	}
	switch {
	case *oauth && *pwStdin:
		fmt.Fprintln(e.stderr, "mailroom: give either --oauth or --password-stdin, not both")
		return 2
	case !*pwStdin && !*oauth:
		fmt.Fprintln(e.stderr, "mailroom: give the password on standard input with --password-stdin, or sign in with --oauth")
		return 2
	}
	var password string
	var err error
	if *pwStdin {
		if password, err = readPassword(e.stdin); err != nil {
			fmt.Fprintf(e.stderr, "mailroom: %v\n", err)
			return 2
		}
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		m, p, code := newMailbox(ctx, e, s, address, *providerName, *login)
		if m == nil {
			return code
		}
		m.SenderName = *name
		if err := m.Normalize(); err != nil {
			fmt.Fprintf(e.stderr, "mailroom: %v\n", err)
			return 2
		}
		switch {
		case *oauth && !p.UsesOAuth():
			fmt.Fprintf(e.stderr, "mailroom: %s signs in with a password; give it with --password-stdin\n", p.Name)
			return 2
		case *oauth:
			return mailboxAddOAuth(ctx, e, s, m, p, trust)
		case p.UsesOAuth():
			fmt.Fprintf(e.stderr, "mailroom: %s signs in through the browser; use --oauth instead of a password\n", p.Name)
			return 2
		}
		tr := &mailclient.Trust{Pins: s, Proposed: trust}
		settings := mailclient.SettingsFor(p, m.Login, tr)
		var pins mailclient.PinRecorder
		err = mailclient.TestConnection(ctx, settings, password, func(st mailclient.Step) {
			printStep(e.stdout, st)
			pins.Observe(st)
		})
		if err != nil {
			return fail(e, "test mailbox", err)
		}
		if err := mailclient.SaveNewMailbox(ctx, s, data.NewSecrets(), m, password, pins.Pins(settings)); err != nil {
			return fail(e, "save mailbox", err)
		}
		def := ""
		if m.IsDefault {
			def = " (default)"
		}
		fmt.Fprintf(e.stdout, "Added %s%s.\n", m.Address, def)
		return 0
	})
}

// newMailbox builds the mailbox of address from the provider named providerName, or found by
// the address's domain; it prints why when it cannot and returns nil with the exit status.
func newMailbox(ctx context.Context, e *env, s *data.Store, address, providerName, login string) (*data.Mailbox, *data.Provider, int) {
	if _, err := s.MailboxByAddress(ctx, address); err == nil {
		fmt.Fprintf(e.stderr, "mailroom: you already have the mailbox %s\n", address)
		return nil, nil, 1
	}
	res, err := s.ResolveProvider(ctx, address)
	var p *data.Provider
	switch {
	case providerName != "":
		if p, err = providerByName(ctx, s, providerName); err != nil {
			fmt.Fprintf(e.stderr, "mailroom: %v\n", err)
			return nil, nil, 1
		}
	case errors.Is(err, data.ErrNotFound):
		fmt.Fprintf(e.stderr, "mailroom: no provider serves the domain of %s; choose one with --provider\n", address)
		return nil, nil, 1
	case err != nil:
		fmt.Fprintf(e.stderr, "mailroom: %v\n", err)
		return nil, nil, 2
	default:
		p = res.Provider
	}
	if login == "" {
		login = p.LoginRule.Login(address)
	}
	if login == "" {
		fmt.Fprintf(e.stderr, "mailroom: the provider %s needs the login entered; give it with --login\n", p.Name)
		return nil, nil, 2
	}
	return &data.Mailbox{Address: address, ProviderID: p.ID, Login: login}, p, 0
}

func providerByName(ctx context.Context, s *data.Store, name string) (*data.Provider, error) {
	list, err := s.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("the providers cannot be read: %w", err)
	}
	for _, p := range list {
		if strings.EqualFold(p.Name, data.CleanName(name)) {
			return s.Get(ctx, p.ID)
		}
	}
	return nil, fmt.Errorf("there is no provider called %q (see mailroom providers list)", name)
}

// readPassword reads the first line of r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("the password cannot be read: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("the password on standard input is empty")
	}
	return line, nil
}

// printStep prints a finished step as one line.
func printStep(w io.Writer, st mailclient.Step) {
	switch st.Status {
	case mailclient.StepDone:
		fmt.Fprintf(w, "ok    %s: %s", st.Side.Title(), st.Title)
		if st.Detail != "" {
			fmt.Fprintf(w, ": %s", st.Detail)
		}
		fmt.Fprintln(w)
	case mailclient.StepFailed:
		fmt.Fprintf(w, "FAIL  %s: %s\n", st.Side.Title(), st.Title)
	}
}

func mailboxList(e *env, args []string) int {
	fs := flag.NewFlagSet("mailbox list", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseArgs(fs, args); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(e.stderr, "Usage: mailroom mailbox list [--json]")
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int { return printMailboxes(ctx, e, s, *asJSON) })
}

func printMailboxes(ctx context.Context, e *env, s *data.Store, asJSON bool) int {
	list, err := s.Mailboxes(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "mailroom: the mailboxes cannot be read: %v\n", err)
		return 1
	}
	if asJSON {
		return printJSON(e, mailboxesJSON(list))
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tNAME\tPROVIDER\tLOGIN\tDEFAULT\tSTATE")
	for _, m := range list {
		def := ""
		if m.IsDefault {
			def = "yes"
		}
		state := string(m.State)
		if m.LastError != "" {
			state += ": " + m.LastError
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Address, m.SenderName, m.ProviderName, m.Login, def, state)
	}
	tw.Flush()
	return 0
}

type mailboxJSON struct {
	Address    string `json:"address"`
	SenderName string `json:"sender_name"`
	Provider   string `json:"provider"`
	Login      string `json:"login"`
	LoadFrom   string `json:"load_from,omitempty"`
	IsDefault  bool   `json:"is_default"`
	State      string `json:"state"`
	LastError  string `json:"last_error,omitempty"`
	UpdatedAt  string `json:"updated_at"`
}

func mailboxesJSON(list []*data.Mailbox) []mailboxJSON {
	out := make([]mailboxJSON, 0, len(list))
	for _, m := range list {
		j := mailboxJSON{Address: m.Address, SenderName: m.SenderName, Provider: m.ProviderName, Login: m.Login,
			IsDefault: m.IsDefault, State: string(m.State), LastError: m.LastError, UpdatedAt: m.UpdatedAt.Format(time.RFC3339)}
		if !m.LoadFrom.IsZero() {
			j.LoadFrom = m.LoadFrom.Format(time.DateOnly)
		}
		out = append(out, j)
	}
	return out
}

func mailboxTest(e *env, args []string) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(e.stderr, "Usage: mailroom mailbox test ADDRESS")
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		m, err := s.MailboxByAddress(ctx, args[0])
		if err != nil {
			return missingMailbox(e, args[0], err)
		}
		err = mailclient.RetestMailbox(ctx, s, data.NewSecrets(), m, func(st mailclient.Step) { printStep(e.stdout, st) })
		if err != nil {
			return fail(e, "test mailbox", err)
		}
		fmt.Fprintf(e.stdout, "%s works.\n", m.Address)
		return 0
	})
}

func mailboxRemove(e *env, args []string) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(e.stderr, "Usage: mailroom mailbox remove ADDRESS")
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		m, err := s.MailboxByAddress(ctx, args[0])
		if err != nil {
			return missingMailbox(e, args[0], err)
		}
		if _, err := mailclient.RemoveMailbox(ctx, s, data.NewSecrets(), m.ID); err != nil {
			var pnd *mailclient.PasswordNotDeletedError
			if errors.As(err, &pnd) {
				return fail(e, "delete password", err)
			}
			return missingMailbox(e, args[0], err)
		}
		fmt.Fprintf(e.stdout, "Removed %s.\n", m.Address)
		return 0
	})
}

func missingMailbox(e *env, address string, err error) int {
	if errors.Is(err, data.ErrNotFound) {
		fmt.Fprintf(e.stderr, "mailroom: you have no mailbox %s (see mailroom mailbox list)\n", address)
		return 1
	}
	return fail(e, "read mailbox", err)
}

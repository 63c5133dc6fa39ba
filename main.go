// Command mailroom is a desktop mail client: email providers, mailboxes, mail.
// Run without a command it opens the window; with one it works on the command line.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"text/tabwriter"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"mailroom/assets"
	"mailroom/data"
	"mailroom/gui"
	_ "mailroom/internal/localeenv" // before Fyne reads the locale: see the package
	"mailroom/mailclient"
)

const appID = "io.mailroom.app"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// env is what every command gets: the parsed global flags and the standard streams.
type env struct {
	dbPath string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

// command is one entry of the command tree: a leaf has run, a branch has subcommands.
type command struct {
	name    string
	summary string
	run     func(e *env, args []string) int
	sub     []command
}

func commands() []command {
	return []command{
		{name: "providers", summary: "work with the list of email providers", sub: []command{
			{name: "list", summary: "print the providers [--json]", run: providersList},
			{name: "import", summary: "add or update providers from clientConfig files or folders: PATH...", run: providersImport},
			{name: "export", summary: "write providers as clientConfig files [--dir DIR] [NAME...]", run: providersExport},
			{name: "publish", summary: "write the signed provider list to a folder: --dir DIR", run: providersPublish},
			{name: "key", summary: "print your public key for signing the provider list", run: providersKey},
			{name: "publishers", summary: "list who may publish the list; grant PUBKEY --name NAME; revoke PUBKEY", run: providersPublishers},
			{name: "oauth", summary: "set a provider up for OAuth 2.0 sign-in: NAME --client-id ID [--client-secret-stdin] [--auth-url URL] [--token-url URL] [--scope SCOPE]...", run: providersOAuth},
			{name: "subscribe", summary: "follow a signed provider list: SOURCE (https://…/index.txt or a folder) --key PUBKEY", run: providersSubscribe},
			{name: "unsubscribe", summary: "stop following the provider list", run: providersUnsubscribe},
			{name: "refresh", summary: "refresh the subscribed provider list now", run: providersRefresh},
		}},
		{name: "lookup", summary: "find the mail settings of an address: ADDRESS [--json]", run: lookup},
		{name: "mailbox", summary: "work with your personal mailboxes", sub: mailboxCommands()},
		{name: "sync", summary: "download new mail: [ADDRESS] [--folder NAME] [--headers-only]", run: syncCmd},
		{name: "messages", summary: "print cached messages, newest first: [ADDRESS] [--folder NAME] [--search TEXT] [--limit N] [--json]", run: messagesCmd},
		{name: "message", summary: "work with one message", sub: messageCommands()},
		{name: "repair", summary: "rebuild a database damaged only in its cached mail, keeping everything else", run: repairCmd},
		{name: "send", summary: "send a message, its text from standard input: --from ADDRESS --to ADDR[,ADDR] [--cc ...] [--bcc ...] --subject TEXT [--attach FILE]...", run: sendCmd},
		{name: "outbox", summary: "see and send what waits: [list [--json] | send | resend ID | remove ID]", run: outboxCmd},
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mailroom", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	fs.StringVar(&e.dbPath, "db", os.Getenv("MAILROOM_DB"), "database file")
	showVersion := fs.Bool("version", false, "print the version")
	if err := parseGlobalArgs(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout, nil, commands())
			return 0
		}
		fmt.Fprintf(stderr, "mailroom: %v\n", err)
		usage(stderr, nil, commands())
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, "Mailroom", version())
		return 0
	}
	if e.dbPath == "" {
		e.dbPath = defaultDBPath()
	}
	logFile := openLog(stderr)
	defer logFile.Close()
	e.log = slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if fs.NArg() == 0 || mailclient.IsMailto(fs.Arg(0)) {
		return runGUI(e, fs.Args())
	}
	return dispatch(e, nil, commands(), fs.Args())
}

// dispatch finds the command named by args[0] among cmds and runs it with the rest.
func dispatch(e *env, path []string, cmds []command, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stderr, path, cmds)
		return 2
	}
	for _, c := range cmds {
		if c.name != args[0] {
			continue
		}
		if c.run != nil {
			return c.run(e, args[1:])
		}
		return dispatch(e, append(path, c.name), c.sub, args[1:])
	}
	fmt.Fprintf(e.stderr, "mailroom: unknown command %q\n", strings.Join(append(path, args[0]), " "))
	usage(e.stderr, path, cmds)
	return 2
}

func usage(w io.Writer, path []string, cmds []command) {
	prefix := strings.Join(append([]string{"mailroom"}, path...), " ")
	fmt.Fprintf(w, "Usage:\n")
	if len(path) == 0 {
		fmt.Fprintf(w, "  mailroom [--db PATH] [mailto:…]     open the Mailroom window (a compose window for the link)\n")
		fmt.Fprintf(w, "  mailroom --version                  print the version\n")
	}
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-35s %s\n", prefix+" "+c.name+ifBranch(c), c.summary)
	}
	if len(path) == 0 {
		fmt.Fprintf(w, "\n--db PATH (or MAILROOM_DB), before or after the command, chooses the database; default %s\n", defaultDBPath())
	}
}

// parseArgs parses fs from args with the flags before, after or among the arguments, as
// people type them ("lookup ADDRESS --json"); "--" ends the flags, so what follows it is an
// argument even when it starts with "-". A flag's value is taken from the next argument
// unless the flag is boolean or written as --name=value.
func parseArgs(fs *flag.FlagSet, args []string) error {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		name, inline, ok := flagName(a)
		if !ok {
			pos = append(pos, a)
			continue
		}
		n, err := flagSpan(fs, args, i, name, inline)
		if err != nil {
			return err
		}
		flags = append(flags, args[i:i+n]...)
		i += n - 1
	}
	return fs.Parse(append(append(flags, "--"), pos...))
}

// parseGlobalArgs parses the global flags fs (--db, --version) from anywhere in args, the way
// parseArgs does a command's own, and leaves the command and its arguments in fs.Args():
// "mailroom messages ann@example.test --db FILE" is "mailroom --db FILE messages
// ann@example.test". Before the command every flag is a global one (an unknown one is an
// error, -h asks for the usage) and a "--" there only ends them; after it only fs's names
// are taken, everything else is left in order for the command, and a "--" stays with the
// command and ends the global flags too. So no command may have a flag named like a global
// (TestCommandFlagsAreNotGlobal checks), and a value spelled like one is written --name=--db.
func parseGlobalArgs(fs *flag.FlagSet, args []string) error {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if len(rest) == 0 {
				i++ // before the command: "--" is the global flags' own end
			}
			rest = append(rest, args[i:]...)
			break
		}
		name, inline, ok := flagName(a)
		if !ok || (len(rest) > 0 && fs.Lookup(name) == nil) {
			rest = append(rest, a)
			continue
		}
		n, err := flagSpan(fs, args, i, name, inline)
		if err != nil {
			return err
		}
		flags = append(flags, args[i:i+n]...)
		i += n - 1
	}
	return fs.Parse(append(append(flags, "--"), rest...))
}

// flagName is the name of the flag a ("--db=x.db" is "db", with its value inline), or false
// when a is an argument ("x", "-").
func flagName(a string) (name string, inline, ok bool) {
	if len(a) < 2 || a[0] != '-' {
		return "", false, false
	}
	name, _, inline = strings.Cut(strings.TrimLeft(a, "-"), "=")
	return name, inline, true
}

// flagSpan is how many of args, from the flag at i, the flag takes: 2 when fs has it with a
// value not written inline (the next argument, even one that starts with "-"), else 1.
func flagSpan(fs *flag.FlagSet, args []string, i int, name string, inline bool) (int, error) {
	if f := fs.Lookup(name); f == nil || inline || isBoolFlag(f) {
		return 1, nil
	}
	if i+1 == len(args) {
		return 0, fmt.Errorf("flag needs an argument: %s", args[i])
	}
	return 2, nil
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func ifBranch(c command) string {
	if c.sub != nil {
		return " COMMAND"
	}
	return ""
}

// openLog opens mailroom.log in the user's data folder, readable by its owner only: the log
// keeps whole error chains for whoever looks into a problem, while people are told one plain
// sentence. It falls back to stderr when the file cannot be opened.
func openLog(stderr io.Writer) io.WriteCloser {
	path := logPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err == nil {
		if f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
			return f
		}
	}
	return nopCloser{stderr}
}

// logPath is mailroom.log beside the default database.
func logPath() string { return filepath.Join(filepath.Dir(defaultDBPath()), "mailroom.log") }

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// defaultDBPath is mailroom.db in the user's data folder, by each system's convention.
func defaultDBPath() string {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = os.Getenv("LocalAppData")
	case "darwin":
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, "Library", "Application Support")
		}
	default:
		dir = os.Getenv("XDG_DATA_HOME")
		if dir == "" {
			if home, err := os.UserHomeDir(); err == nil {
				dir = filepath.Join(home, ".local", "share")
			}
		}
	}
	if dir == "" {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "Mailroom", "mailroom.db")
}

// currentUser is the OS account running Mailroom.
func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, v := range []string{"USER", "USERNAME", "LOGNAME"} {
		if n := os.Getenv(v); n != "" {
			return n
		}
	}
	return "user"
}

// openStore opens the database, printing a plain message on failure.
func openStore(e *env) (*data.Store, bool) {
	s, err := data.Open(e.dbPath, currentUser())
	if err != nil {
		reportOpenProblem(e, err)
		return nil, false
	}
	return s, true
}

// reportOpenProblem logs why the database did not open and tells the person in plain words.
func reportOpenProblem(e *env, err error) string {
	e.log.Error("open database", "path", e.dbPath, "err", err)
	msg := openProblem(e.dbPath, err)
	fmt.Fprintf(e.stderr, "mailroom: %s\n", msg)
	return msg
}

// openProblem says in one sentence why the database could not be opened and what to do.
func openProblem(path string, err error) string {
	switch {
	case errors.Is(err, data.ErrNewerVersion):
		return fmt.Sprintf("%s was written by a newer Mailroom. Update Mailroom, or choose another file with --db.", path)
	case errors.Is(err, data.ErrCacheDamaged):
		return fmt.Sprintf("%s is damaged, but only in its copy of your mail, which the servers still have; Mailroom left it exactly as it was. Run \"mailroom --db %s repair\" to rebuild it (providers, mailboxes, drafts and the outbox are kept, the mail is downloaded again), or restore it from a backup.", path, path)
	case errors.Is(err, data.ErrDamaged):
		return fmt.Sprintf("%s is damaged: some of its pages cannot be read, so Mailroom left it exactly as it was. Restore it from a backup (or copy it away and choose another file with --db).", path)
	case errors.Is(err, data.ErrNotDatabase):
		return fmt.Sprintf("%s is not a Mailroom database, or it is damaged. Choose another file with --db.", path)
	case errors.Is(err, data.ErrNotRegular):
		return fmt.Sprintf("%s is not a regular file (a device, folder or pipe). Choose a database file with --db.", path)
	case errors.Is(err, data.ErrUnreadable):
		return fmt.Sprintf("%s cannot be read. Check the permissions of the file, or choose another file with --db.", path)
	case errors.Is(err, data.ErrReadOnly):
		return fmt.Sprintf("%s cannot be written. Check the permissions of the file and its folder, or choose another file with --db.", path)
	}
	return fmt.Sprintf("%s cannot be opened: %v", path, err)
}

// runGUI opens the window, or hands args (mailto: links) to the Mailroom already open on the
// database and returns 0.
func runGUI(e *env, args []string) int {
	claim, handed, code := claimInstance(e, args)
	if handed {
		return code
	}
	if claim != nil {
		defer claim.Close()
	}
	// The window comes up first; the database opens (its check can take half a second on a
	// large cache) while the window draws, and the screens are built into it when it is open.
	a := app.NewWithID(appID)
	a.SetIcon(assets.Icon())
	gui.ShowStarting(a)
	opened := openStoreAsync(e)
	store := make(chan *data.Store, 1)
	var failed atomic.Bool
	go func() {
		o := <-opened
		store <- o.store
		fyne.Do(func() {
			if o.err != nil {
				// Started from a desktop menu nobody reads stderr: say it in a window too.
				failed.Store(true)
				gui.ShowStartupProblem(a, reportOpenProblem(e, o.err))
				return
			}
			u := gui.New(a, o.store, data.NewSecrets(), e.log)
			u.ShowMain()
			serveInstance(claim, u.Open)
			u.Open(args)
		})
	}()
	a.Run()
	if s := <-store; s != nil {
		s.Close()
	}
	if failed.Load() {
		return 1
	}
	return 0
}

// opening is the outcome of opening the database.
type opening struct {
	store *data.Store
	err   error
}

// openStoreAsync opens the database on a goroutine of its own and delivers the outcome.
func openStoreAsync(e *env) <-chan opening {
	ch := make(chan opening, 1)
	go func() {
		s, err := data.Open(e.dbPath, currentUser())
		ch <- opening{s, err}
	}()
	return ch
}

func providersList(e *env, args []string) int {
	fs := flag.NewFlagSet("providers list", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseArgs(fs, args); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(e.stderr, "Usage: mailroom providers list [--json]")
		return 2
	}
	s, ok := openStore(e)
	if !ok {
		return 1
	}
	defer s.Close()
	ctx, stop := interruptible()
	defer stop()
	list, err := s.List(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "mailroom: the providers cannot be read: %v\n", err)
		return 1
	}
	if *asJSON {
		return printJSON(e, providersJSON(list))
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tINCOMING (IMAP)\tOUTGOING (SMTP)\tLOGIN\tDOMAINS")
	for _, p := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, serverText(p.IMAPEnabled, p.IMAP), serverText(p.SMTPEnabled, p.SMTP),
			p.LoginRule.Title(), strings.Join(displayDomains(p.Domains), " "))
	}
	tw.Flush()
	return 0
}

func serverText(on bool, s data.Server) string {
	if !on {
		return "-"
	}
	return s.Address() + " " + string(s.Security)
}

func displayDomains(ds []string) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = data.DisplayDomain(d)
	}
	sort.Strings(out)
	return out
}

type serverJSON struct {
	Enabled        bool   `json:"enabled"`
	Host           string `json:"host"`
	Port           int    `json:"port"`
	Security       string `json:"security"`
	TimeoutSeconds int    `json:"timeout_seconds,omitempty"`
	Auth           string `json:"auth"` // "password" or "oauth2"
}

type providerJSON struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	IMAP      serverJSON `json:"imap"`
	SMTP      serverJSON `json:"smtp"`
	LoginRule string     `json:"login_rule"`
	Domains   []string   `json:"domains"`
	HasLogo   bool       `json:"has_logo"`
	UpdatedBy string     `json:"updated_by"`
	UpdatedAt string     `json:"updated_at"`
}

func providersJSON(list []*data.Provider) []providerJSON {
	out := make([]providerJSON, 0, len(list))
	for _, p := range list {
		out = append(out, providerJSON{
			ID: p.ID, Name: p.Name,
			IMAP: serverJSON{Enabled: p.IMAPEnabled, Host: p.IMAP.Host, Port: p.IMAP.Port, Security: string(p.IMAP.Security),
				Auth: authName(p.IMAPAuth)},
			SMTP: serverJSON{Enabled: p.SMTPEnabled, Host: p.SMTP.Host, Port: p.SMTP.Port, Security: string(p.SMTP.Security),
				TimeoutSeconds: p.SMTPTimeout, Auth: authName(p.SMTPAuth)},
			LoginRule: string(p.LoginRule), Domains: displayDomains(p.Domains), HasLogo: p.Logo != nil,
			UpdatedBy: p.UpdatedBy, UpdatedAt: p.UpdatedAt.Format("2006-01-02T15:04:05Z07:00"),
		})
	}
	return out
}

func printJSON(e *env, v any) int {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // "Bob <bob@example.test>", not \u003c`
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(e.stderr, "mailroom: %v\n", err)
		return 1
	}
	return 0
}

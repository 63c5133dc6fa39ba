package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		json      bool
		dir, name string
		pos       []string
		fails     bool
	}{
		{args: []string{"ann@example.test", "--json"}, json: true, pos: []string{"ann@example.test"}},
		{args: []string{"--json", "ann@example.test"}, json: true, pos: []string{"ann@example.test"}},
		{args: []string{"a", "--dir", "out", "b", "-name=x"}, dir: "out", name: "x", pos: []string{"a", "b"}},
		{args: []string{"a", "--dir=out", "--", "--json", "-"}, dir: "out", pos: []string{"a", "--json", "-"}},
		{args: []string{"--name", "--json", "a"}, name: "--json", pos: []string{"a"}}, // a value may look like a flag
		{args: []string{"-", "--json=false"}, pos: []string{"-"}},
		{args: []string{"a", "--nope"}, fails: true},
		{args: []string{"a", "--dir"}, fails: true}, // a value is missing
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		asJSON := fs.Bool("json", false, "")
		dir := fs.String("dir", "", "")
		name := fs.String("name", "", "")
		err := parseArgs(fs, tc.args)
		if tc.fails {
			if err == nil {
				t.Errorf("%q: parsed, want an error", tc.args)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if *asJSON != tc.json || *dir != tc.dir || *name != tc.name || !reflect.DeepEqual(fs.Args(), append([]string{}, tc.pos...)) {
			t.Errorf("%q: json=%v dir=%q name=%q args=%q; want %v %q %q %q", tc.args, *asJSON, *dir, *name, fs.Args(), tc.json, tc.dir, tc.name, tc.pos)
		}
	}
}

// TestParseGlobalArgs: --db and --version are understood before the command, after it and
// among its arguments; what is not theirs, "--" and all after it included, stays in order.
func TestParseGlobalArgs(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		db      string
		version bool
		rest    []string
		fails   bool
		help    bool
	}{
		{args: []string{"--db", "x.db", "messages"}, db: "x.db", rest: []string{"messages"}},
		{args: []string{"messages", "--db", "x.db"}, db: "x.db", rest: []string{"messages"}},
		{args: []string{"providers", "-db=x.db", "list", "--json"}, db: "x.db", rest: []string{"providers", "list", "--json"}},
		{args: []string{"messages", "a", "--db", "x.db", "--search", "s"}, db: "x.db", rest: []string{"messages", "a", "--search", "s"}},
		{args: []string{"lookup", "a", "--version"}, version: true, rest: []string{"lookup", "a"}},
		{args: []string{"messages", "--search", "s", "--", "--db", "x.db"}, rest: []string{"messages", "--search", "s", "--", "--db", "x.db"}},
		{args: []string{"--db", "x.db", "--", "messages", "--version"}, db: "x.db", rest: []string{"messages", "--version"}},
		{args: []string{"mailto:a@example.test", "--db", "x.db"}, db: "x.db", rest: []string{"mailto:a@example.test"}},
		{args: []string{"messages", "--nope", "-", "-h"}, rest: []string{"messages", "--nope", "-", "-h"}}, // the command's to judge
		{args: []string{"messages", "--db", "--json"}, db: "--json", rest: []string{"messages"}},           // as parseArgs: the next argument
		{args: []string{"messages", "--db"}, fails: true},
		{args: []string{"--nope", "messages"}, fails: true},
		{args: []string{"-h"}, fails: true, help: true},
	} {
		fs := flag.NewFlagSet("mailroom", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		db := fs.String("db", "", "")
		version := fs.Bool("version", false, "")
		err := parseGlobalArgs(fs, tc.args)
		if tc.fails {
			if err == nil || errors.Is(err, flag.ErrHelp) != tc.help {
				t.Errorf("%q: error %v, want one (help %v)", tc.args, err, tc.help)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if *db != tc.db || *version != tc.version || !reflect.DeepEqual(fs.Args(), tc.rest) {
			t.Errorf("%q: db=%q version=%v rest=%q; want %q %v %q", tc.args, *db, *version, fs.Args(), tc.db, tc.version, tc.rest)
		}
	}
}

// TestCommandFlagsAreNotGlobal: --db and --version are taken wherever they are, so a
// command's own flag of that name would never be seen; no command may have one. It also
// shows that -h after a command is the command's.
func TestCommandFlagsAreNotGlobal(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir()) // the log
	names := append(leafCommands("", commands()), "providers publishers grant")
	for _, name := range names {
		code, _, errOut := runCLI(t, append(strings.Fields(name), "-h")...)
		if code != 2 || strings.Contains(errOut, "mailroom --version") {
			t.Errorf("mailroom %s -h: exit %d, want the command's usage (2):\n%s", name, code, errOut)
		}
		for _, line := range strings.Split(errOut, "\n") {
			if f := strings.Fields(line); len(f) > 0 && (f[0] == "-db" || f[0] == "-version") {
				t.Errorf("mailroom %s has its own %s flag, which the global one would take: rename it", name, f[0])
			}
		}
	}
}

// leafCommands returns the full names of every command that runs ("providers list", ...).
func leafCommands(prefix string, cmds []command) []string {
	var out []string
	for _, c := range cmds {
		name := strings.TrimSpace(prefix + " " + c.name)
		if c.run != nil {
			out = append(out, name)
		}
		out = append(out, leafCommands(name, c.sub)...)
	}
	return out
}

// TestFlagsAfterArguments runs every command that takes flags with its flags after its
// arguments and again before them, and --db before the command, after everything and right
// after the command's (first) name: all must be understood (no usage, exit status 2) and do
// the same. Commands without flags are run with --db before and after them. Every command is
// named, so a new one cannot be left out.
func TestFlagsAfterArguments(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("XDG_DATA_HOME", tmp) // the log
	db := filepath.Join(tmp, "mailroom.db")
	provs := filepath.Join(tmp, "providers")
	os.Mkdir(provs, 0o755)
	clientConfigFile(t, provs, "example.test", "Example", "imap")
	if code, _, errOut := runCLI(t, "--db", db, "providers", "import", provs); code != 0 {
		t.Fatalf("import: %d %s", code, errOut)
	}
	out1 := filepath.Join(tmp, "out1")
	const key = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3"
	cases := map[string][2][]string{
		"providers list":       {{"--json"}, {"--json"}},
		"providers export":     {{"--dir", out1, "Example"}, {"Example", "--dir", out1}},
		"providers publish":    {{"--dir", out1 + "p"}, {"--dir", out1 + "p"}},
		"providers publishers": {{"grant", key, "--name", "Bob"}, {"grant", "--name", "Bob", key}},
		"providers oauth":      {{"--client-id", "cid", "Example"}, {"Example", "--client-id", "cid"}},
		"providers subscribe":  {{"--key", "RWbad", filepath.Join(tmp, "none")}, {filepath.Join(tmp, "none"), "--key", "RWbad"}},
		"mailbox add":          {{"--password-stdin", "--provider", "Nope", "ann@example.test"}, {"ann@example.test", "--provider", "Nope", "--password-stdin"}},
		"mailbox list":         {{"--json"}, {"--json"}},
		"sync":                 {{"--folder", "INBOX", "ann@example.test"}, {"ann@example.test", "--folder", "INBOX"}},
		"send":                 {{"--from", "ann@example.test", "--to", "b@example.test", "--subject", "s"}, {"--to", "b@example.test", "--subject", "s", "--from", "ann@example.test"}},
		"outbox list":          {{"--json"}, {"--json"}},
		"messages":             {{"--json", "--limit", "5", "ann@example.test"}, {"ann@example.test", "--limit", "5", "--json"}},
		"message save":         {{"--eml", filepath.Join(tmp, "m.eml"), "999"}, {"999", "--eml", filepath.Join(tmp, "m.eml")}},
	}
	noFlags := map[string][]string{"providers import": {provs}, "providers key": nil, "providers unsubscribe": nil,
		"providers refresh": nil, "mailbox test": {"ann@example.test"}, "mailbox remove": {"ann@example.test"},
		"repair": nil, "outbox": nil, "outbox send": nil, "outbox resend": {"999"}, "outbox remove": {"999"}}
	for _, name := range leafCommands("", commands()) {
		if name == "lookup" {
			continue // TestLookupFlagsAfterAddress: it must not leave this machine
		}
		path := strings.Fields(name)
		if name == "providers publishers" {
			path = path[:2]
		}
		var lines [][]string
		if orders, ok := cases[name]; ok {
			lines = [][]string{
				concat([]string{"--db", db}, path, orders[0]),
				concat([]string{"--db", db}, path, orders[1]),
				concat(path, orders[1], []string{"--db", db}),
				concat(path[:1], []string{"--db=" + db}, path[1:], orders[0]),
			}
		} else if args, ok := noFlags[name]; ok {
			lines = [][]string{concat([]string{"--db", db}, path, args), concat(path, args, []string{"--db", db})}
		} else {
			t.Errorf("%s: no case here; give one with its flags before and after its arguments", name)
			continue
		}
		codes := make([]int, len(lines))
		outs := make([]string, len(lines))
		for i, args := range lines {
			var out, errb bytes.Buffer
			codes[i] = run(args, strings.NewReader("password\n"), &out, &errb)
			outs[i] = out.String()
			if codes[i] == 2 || strings.Contains(errb.String(), "Usage") {
				t.Errorf("mailroom %s: exit %d, usage printed:\n%s", strings.Join(args, " "), codes[i], errb.String())
			}
			if codes[i] != codes[0] || (outs[i] != outs[0] && name != "providers publish") { // each publish has its number
				t.Errorf("mailroom %s gave %d %q; mailroom %s gave %d %q", strings.Join(lines[0], " "), codes[0], outs[0],
					strings.Join(args, " "), codes[i], outs[i])
			}
		}
	}
	for _, dir := range []string{out1} {
		if _, err := os.Stat(filepath.Join(dir, "example.test.xml")); err != nil {
			t.Errorf("providers export: %v", err)
		}
	}
}

func TestLookupFlagsAfterAddress(t *testing.T) {
	db := filepath.Join(t.TempDir(), "mailroom.db")
	c1, first, _ := testLookup(t, db, "--json", "ann@example.test")
	c2, last, errOut := testLookup(t, db, "ann@example.test", "--json")
	if c1 != 0 || c2 != 0 || first != last || !strings.HasPrefix(last, "{") {
		t.Errorf("lookup --json ADDRESS: %d %q; lookup ADDRESS --json: %d %q %s", c1, first, c2, last, errOut)
	}
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

package main

import (
	"bytes"
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
// arguments and again before them: both must be understood (no usage, exit status 2) and do
// the same. Commands without flags are named too, so a new command cannot be left out.
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
	noFlags := map[string]bool{"providers import": true, "providers key": true, "providers unsubscribe": true,
		"providers refresh": true, "mailbox test": true, "mailbox remove": true, "repair": true, "outbox": true,
		"outbox send": true, "outbox resend": true, "outbox remove": true}
	for _, name := range leafCommands("", commands()) {
		orders, ok := cases[name]
		if name == "lookup" {
			continue // TestLookupFlagsAfterAddress: it must not leave this machine
		}
		if !ok {
			if !noFlags[name] {
				t.Errorf("%s: no case here; give one with its flags before and after its arguments", name)
			}
			continue
		}
		var codes [2]int
		var outs [2]string
		for i, args := range orders {
			path := strings.Fields(name)
			if name == "providers publishers" {
				path = path[:2]
			}
			var errOut string
			var out, errb bytes.Buffer
			codes[i] = run(append(append([]string{"--db", db}, path...), args...), strings.NewReader("password\n"), &out, &errb)
			outs[i], errOut = out.String(), errb.String()
			if codes[i] == 2 || strings.Contains(errOut, "Usage") {
				t.Errorf("mailroom %s %s: exit %d, usage printed:\n%s", name, strings.Join(args, " "), codes[i], errOut)
			}
		}
		if codes[0] != codes[1] || (outs[0] != outs[1] && name != "providers publish") { // each publish has its number
			t.Errorf("%s: flags first gave %d %q, flags last %d %q", name, codes[0], outs[0], codes[1], outs[1])
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

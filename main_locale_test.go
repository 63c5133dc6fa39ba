package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuietUnderCLocale runs the built mailroom as cron and scripts do, under a C or POSIX
// locale: each command prints its output and nothing on stderr (Fyne used to log "Error
// parsing user locale C" there before main ran).
func TestQuietUnderCLocale(t *testing.T) {
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "mailroom")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	db := filepath.Join(tmp, "mailroom.db")
	base := []string{"HOME=" + tmp, "XDG_DATA_HOME=" + tmp, "PATH=" + os.Getenv("PATH")}
	for _, locale := range [][]string{{"LANG=C"}, {"LANG=C.UTF-8"}, {"LC_ALL=C"}, {"LC_ALL=C.UTF-8", "LANG=en_US.UTF-8"},
		{"LANGUAGE=C.UTF-8"}, {"LANG=POSIX"}} {
		for _, args := range [][]string{{"--version"}, {"--db", db, "providers", "list"}, {"--db", db, "mailbox", "list", "--json"},
			{"--db", db, "outbox", "list"}, {"--db", db, "messages", "--json"}} {
			cmd := exec.Command(bin, args...)
			cmd.Env = append(append([]string{}, base...), locale...)
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			if err != nil || errOut.Len() > 0 || out.Len() == 0 {
				t.Errorf("%s mailroom %s: %v\nstdout: %q\nstderr: %q", strings.Join(locale, " "), strings.Join(args, " "), err, out.String(), errOut.String())
			}
		}
	}
}

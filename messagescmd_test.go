package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"mailroom/data"
)

// twoFiles is a message with a text and two attachments, one base64, one quoted-printable.
const twoFiles = "From: Bob <bob@example.test>\r\nTo: ann@example.test\r\nSubject: Two files\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHere they are.\r\n" +
	"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"../a.bin\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n\r\nAAEC/w==\r\n" +
	"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Disposition: attachment; filename=menu.txt\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n--b--\r\n"

// cachedMailDB makes a database with ann's mailbox (on no reachable server), an Inbox and a
// Sent folder, and messages whose Date headers differ from their arrival: one without a Date
// and one dated 2099. The "Two files" message's body is cached whole.
func cachedMailDB(t *testing.T) (string, map[string]int64) {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "mailroom.db")
	s, err := data.Open(db, currentUser())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := data.NewProvider()
	p.Name, p.IMAP.Host, p.IMAP.Port, p.SMTP.Host = "Nowhere", "127.0.0.1", 1, "127.0.0.1"
	if err := s.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	box := &data.Mailbox{Address: "ann@example.test", ProviderID: p.ID, Login: "ann"}
	if err := s.SaveMailbox(ctx, box); err != nil {
		t.Fatal(err)
	}
	s.SaveFolders(ctx, box.ID, []data.FolderInfo{{Name: "INBOX", Role: data.RoleInbox, Selectable: true},
		{Name: "Sent", Role: data.RoleSent, Selectable: true}})
	folders, _ := s.Folders(ctx, box.ID)
	day := func(d int) time.Time { return time.Date(2025, 3, d, 12, 0, 0, 0, time.UTC) }
	inbox := []*data.Message{
		// Arrived last, written first.
		{UID: 1, Date: day(20), SentDate: day(1), Subject: "Written first", FromAddr: "carol@example.test", Size: 100},
		{UID: 2, Date: day(5), SentDate: day(10), Subject: "Two files", FromName: "Bob", FromAddr: "bob@example.test",
			To: "ann@example.test", Size: int64(len(twoFiles)), HasAttachment: true, Flags: data.Flags{Seen: true, Keywords: []string{"$Work"}}},
		{UID: 3, Date: day(7), Subject: "No date at all", FromAddr: "dave@example.test", Size: 50},
		{UID: 4, Date: day(3), SentDate: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), Subject: "From the future", Size: 60},
	}
	sent := []*data.Message{{UID: 1, Date: day(15), SentDate: day(15), Subject: "My answer", FromAddr: "ann@example.test", Size: 70}}
	for i, f := range folders {
		msgs := inbox
		if f.Role == data.RoleSent {
			msgs = sent
		}
		if err := s.StoreMessages(ctx, folders[i].ID, msgs, uint32(len(msgs))); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]int64{}
	for _, f := range folders {
		page, _ := s.MessagePage(ctx, f.ID, data.Cursor{}, 10)
		for _, m := range page {
			ids[m.Subject] = m.ID
		}
	}
	if err := s.SaveMessageBody(ctx, ids["Two files"], []byte(twoFiles), false, "Two files Here they are."); err != nil {
		t.Fatal(err)
	}
	return db, ids
}

func messagesJSON(t *testing.T, db string, args ...string) []messageJSON {
	t.Helper()
	code, out, errOut := runCLI(t, append([]string{"--db", db, "messages", "--json"}, args...)...)
	if code != 0 || errOut != "" {
		t.Fatalf("messages %v: %d %s", args, code, errOut)
	}
	var list []messageJSON
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return list
}

func subjects(list []messageJSON) []string {
	var out []string
	for _, m := range list {
		out = append(out, m.Subject)
	}
	return out
}

func TestMessagesCommand(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	db, ids := cachedMailDB(t)
	// Newest first by the Date header; where it is missing or in the future, by arrival.
	all := messagesJSON(t, db)
	if got, want := subjects(all), []string{"My answer", "Two files", "No date at all", "From the future", "Written first"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
	two := all[1]
	want := messageJSON{ID: ids["Two files"], Mailbox: "ann@example.test", Folder: "INBOX", UID: 2, Date: "2025-03-10T12:00:00Z",
		From: "Bob <bob@example.test>", To: "ann@example.test", Subject: "Two files", Size: int64(len(twoFiles)),
		Flags: []string{`\Seen`, "$Work"}, Attachments: 2}
	two.Date = mustUTC(t, two.Date)
	if !reflect.DeepEqual(two, want) {
		t.Errorf("message\n%+v\nwant\n%+v", two, want)
	}
	if all[0].Flags == nil || len(all[0].Flags) != 0 {
		t.Errorf("no flags must be an empty array: %#v", all[0].Flags)
	}
	if got := subjects(messagesJSON(t, db, "--limit", "2")); !reflect.DeepEqual(got, []string{"My answer", "Two files"}) {
		t.Errorf("--limit 2: %q", got)
	}
	if got := subjects(messagesJSON(t, db, "ann@example.test", "--folder", "inbox", "--search", "they ARE")); !reflect.DeepEqual(got, []string{"Two files"}) {
		t.Errorf("--search in the cached text: %q", got)
	}
	if got := subjects(messagesJSON(t, db, "--folder", "Sent")); !reflect.DeepEqual(got, []string{"My answer"}) {
		t.Errorf("--folder Sent: %q", got)
	}
	if got := messagesJSON(t, db, "--search", "nothing-like-this"); len(got) != 0 {
		t.Errorf("a search finding nothing gave %q", subjects(got))
	}
	code, out, _ := runCLI(t, "--db", db, "messages", "ann@example.test", "--limit", "1")
	if code != 0 || !strings.HasPrefix(out, "ID ") || !strings.Contains(out, "My answer") || strings.Count(out, "\n") != 2 {
		t.Errorf("table: %d\n%s", code, out)
	}
	for _, bad := range [][]string{{"--limit", "0"}, {"--limit", "x"}, {"a@example.test", "b@example.test"}} {
		if code, _, _ := runCLI(t, append([]string{"--db", db, "messages"}, bad...)...); code != 2 {
			t.Errorf("messages %q: exit %d, want 2", bad, code)
		}
	}
	if code, _, errOut := runCLI(t, "--db", db, "messages", "bob@example.test"); code != 1 || !strings.Contains(errOut, "no mailbox bob@example.test") {
		t.Errorf("unknown mailbox: %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "--db", db, "messages", "--folder", "Nope"); code != 1 || !strings.Contains(errOut, `no folder "Nope"`) {
		t.Errorf("unknown folder: %d %s", code, errOut)
	}
}

func mustUTC(t *testing.T, s string) string {
	d, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return d.UTC().Format(time.RFC3339)
}

// A message cached whole is saved from the cache: the .eml byte for byte, each attachment
// decoded under a safe name, nothing replaced.
func TestMessageSaveFromTheCache(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	db, ids := cachedMailDB(t)
	tmp := t.TempDir()
	eml, dir := filepath.Join(tmp, "two.eml"), filepath.Join(tmp, "files")
	id := itoa(ids["Two files"])
	code, out, errOut := runCLI(t, "--db", db, "message", "save", id, "--eml", eml, "--attachments", dir)
	if code != 0 || errOut != "" {
		t.Fatalf("save: %d %s", code, errOut)
	}
	if b, _ := os.ReadFile(eml); string(b) != twoFiles {
		t.Errorf("eml %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.bin")); string(b) != "\x00\x01\x02\xff" {
		t.Errorf("a.bin %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "menu.txt")); string(b) != "caf\xe9" {
		t.Errorf("menu.txt %q", b)
	}
	if !strings.Contains(out, eml+" (") || !strings.Contains(out, filepath.Join(dir, "menu.txt")) {
		t.Errorf("output %q", out)
	}
	// Again: the .eml is not replaced; the attachments get names of their own.
	if code, _, errOut := runCLI(t, "--db", db, "message", "save", id, "--eml", eml); code != 1 || !strings.Contains(errOut, eml+" exists already; choose another name") {
		t.Errorf("an existing .eml: %d %s", code, errOut)
	}
	if code, _, _ := runCLI(t, "--db", db, "message", "save", "--attachments", dir, id); code != 0 {
		t.Errorf("attachments again: %d", code)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "2-menu.txt")); string(b) != "caf\xe9" {
		t.Errorf("2-menu.txt %q", b)
	}
	if code, out, _ := runCLI(t, "--db", db, "message", "save", id, "--eml", "-"); code != 0 || out != twoFiles {
		t.Errorf("--eml -: %d %q", code, out)
	}
	for _, bad := range [][]string{{id}, {"x", "--eml", "f"}, {"--eml", "f"}} {
		if code, _, _ := runCLI(t, append([]string{"--db", db, "message", "save"}, bad...)...); code != 2 {
			t.Errorf("message save %q: exit %d, want 2", bad, code)
		}
	}
	if code, _, errOut := runCLI(t, "--db", db, "message", "save", "999", "--eml", filepath.Join(tmp, "x")); code != 1 || !strings.Contains(errOut, "no message 999") {
		t.Errorf("unknown id: %d %s", code, errOut)
	}
	// A message that is not cached and whose server cannot be reached: nothing is left behind.
	half := filepath.Join(tmp, "written-first.eml")
	if code, _, _ := runCLI(t, "--db", db, "message", "save", itoa(ids["Written first"]), "--eml", half); code != 1 {
		t.Errorf("unreachable server: exit %d", code)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*written-first*")); len(left) != 0 {
		t.Errorf("left behind: %q", left)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

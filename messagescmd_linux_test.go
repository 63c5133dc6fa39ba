package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"mailroom/internal/testenv"
)

// TestMessageSaveLargeAgainstDovecot APPENDs a 61.6 MB message with a 45 MB attachment to
// Dovecot, syncs it with "mailroom sync" and saves it with "mailroom message save" in a
// process of its own: the .eml and the attachment are byte-exact, and the process's peak
// memory (its maximum resident set) is less than 32 MB above that of the same command
// saving a small message from the same folder, measured side by side.
func TestMessageSaveLargeAgainstDovecot(t *testing.T) {
	m := loadMailEnv(t)
	srv := testenv.Load(t)
	db := mailboxDB(t, m)
	tmp := t.TempDir()
	t.Setenv("XDG_DATA_HOME", tmp)
	folder := fmt.Sprintf("Large%d", time.Now().UnixNano())
	big, small := filepath.Join(tmp, "big.eml"), filepath.Join(tmp, "small.eml")
	wantMsg, wantAtt := testenv.BigMessage(t, big, "Large", 45_000_000)
	testenv.BigMessage(t, small, "Small", 45_000)
	srv.Append(t, m.user, folder, small)
	srv.Append(t, m.user, folder, big)
	if code, out, errOut := cli("", "--db", db, "sync", m.user, "--folder", folder); code != 0 {
		t.Fatalf("sync: %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut := cli("", "--db", db, "messages", m.user, "--folder", folder, "--json")
	var list []messageJSON
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 {
		t.Fatalf("messages: %d %s %s", code, out, errOut)
	}
	ids := map[string]int64{}
	for _, l := range list {
		ids[l.Subject] = l.ID
		if l.Attachments != 1 || l.Folder != folder {
			t.Errorf("listed %+v", l)
		}
	}
	save := func(subject string) (eml, att string, maxRSS int64) {
		t.Helper()
		eml, dir := filepath.Join(tmp, subject+"-saved.eml"), filepath.Join(tmp, subject+"-files")
		cmd, out := mailroomProcess(t, "", "--db", db, "message", "save", itoa(ids[subject]), "--eml", eml, "--attachments", dir)
		if code := waitExit(t, cmd, out); code != 0 {
			t.Fatalf("message save %s: %d\n%s", subject, code, out)
		}
		return eml, filepath.Join(dir, testenv.BigAttachmentName), cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
	}
	_, _, baseline := save("Small")
	eml, att, peak := save("Large")
	if sum := fileSum(t, eml); sum != wantMsg {
		t.Error("the saved .eml is not the message sent")
	}
	if sum := fileSum(t, att); sum != wantAtt {
		t.Error("the saved attachment is not the file sent")
	}
	t.Logf("message save, peak RSS: %.1f MB for the 61.6 MB message, %.1f MB for a 60 KB one: %.2fx, %.1f MB more",
		float64(peak)/1e6, float64(baseline)/1e6, float64(peak)/float64(baseline), float64(peak-baseline)/1e6)
	if peak-baseline >= 32<<20 {
		t.Errorf("saving the large message took %d MB more memory than a small one", (peak-baseline)>>20)
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return [32]byte(h.Sum(nil))
}

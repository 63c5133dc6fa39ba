package testenv

import (
	"bufio"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// BigAttachmentName is the file name of the attachment of BigMessage.
const BigAttachmentName = "big.bin"

// BigMessage writes to path a message with a short text and one attachment, BigAttachmentName,
// of attachSize pseudo-random bytes (base64, lines of 76), never holding either in memory: with
// 45,000,000 bytes the message is about 61.6 MB. It returns the SHA-256 of the message as
// written and of the attachment's content.
func BigMessage(t testing.TB, path, subject string, attachSize int) (message, attachment [32]byte) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msgSum, attSum := sha256.New(), sha256.New()
	w := bufio.NewWriter(io.MultiWriter(f, msgSum))
	fmt.Fprintf(w, "From: Big Sender <big@example.test>\r\nTo: ann@example.test\r\nSubject: %s\r\n"+
		"Date: %s\r\nMessage-ID: <%d.big@example.test>\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/mixed; boundary=\"big-boundary\"\r\n\r\n"+
		"--big-boundary\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe file is attached.\r\n"+
		"--big-boundary\r\nContent-Type: application/octet-stream; name=\"%s\"\r\n"+
		"Content-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
		subject, time.Now().Format(time.RFC1123Z), time.Now().UnixNano(), BigAttachmentName, BigAttachmentName)
	writeBase64(w, attSum, rand.NewChaCha8([32]byte{4, 5}), attachSize)
	io.WriteString(w, "--big-boundary--\r\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	copy(message[:], msgSum.Sum(nil))
	copy(attachment[:], attSum.Sum(nil))
	return message, attachment
}

// writeBase64 writes size bytes of src to w in base64 lines of 76 characters, and the bytes
// themselves to sum.
func writeBase64(w io.Writer, sum hash.Hash, src io.Reader, size int) {
	raw := make([]byte, 57) // 76 characters of base64
	line := make([]byte, 78)
	for left := size; left > 0; left -= len(raw) {
		raw = raw[:min(57, left)]
		io.ReadFull(src, raw)
		sum.Write(raw)
		n := base64.StdEncoding.EncodedLen(len(raw))
		base64.StdEncoding.Encode(line, raw)
		line[n], line[n+1] = '\r', '\n'
		w.Write(line[:n+2])
	}
}

// Append APPENDs the message in file path to folder of user on the test Dovecot (creating
// the folder when it is missing), streamed from the file.
func (s Servers) Append(t testing.TB, user, folder, path string) {
	t.Helper()
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := imapclient.DialTLS(s.IMAPSAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, s.Users[user]).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Create(folder, nil).Wait() // fails when it exists, which is fine
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, _ := f.Stat()
	cmd := c.Append(folder, info.Size(), &imap.AppendOptions{})
	if _, err := io.Copy(cmd, f); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("APPEND to %s: %v", folder, err)
	}
}

// HeapGrowth runs fn and returns by how much the heap in use grew above what it was before,
// at its highest while fn ran, sampled every millisecond (and once after fn).
func HeapGrowth(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, ms.HeapInuse
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return peak - base
}

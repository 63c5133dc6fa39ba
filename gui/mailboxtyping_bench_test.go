package gui

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"mailroom/data"
)

// typingDB is a database of 10,000 providers with a domain each, written once per process.
var typingDB struct {
	once sync.Once
	path string
	err  error
}

func typingStore(b *testing.B) string {
	typingDB.once.Do(func() {
		dir, err := os.MkdirTemp("", "mailroom-typing-")
		if err != nil {
			typingDB.err = err
			return
		}
		typingDB.path = filepath.Join(dir, "m.db")
		s, err := data.Open(typingDB.path, "ann")
		if err != nil {
			typingDB.err = err
			return
		}
		defer s.Close()
		typingDB.err = s.InProviderTx(context.Background(), func(tx *data.ProviderTx) error {
			for i := range 10000 {
				p := data.NewProvider()
				p.Name = fmt.Sprintf("Provider %05d", i)
				p.IMAP.Host, p.SMTP.Host = fmt.Sprintf("imap.p%05d.com", i), fmt.Sprintf("smtp.p%05d.com", i)
				p.Domains = []string{fmt.Sprintf("p%05d.com", i)}
				if err := tx.Save(context.Background(), p); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if typingDB.err != nil {
		b.Fatal(typingDB.err)
	}
	return typingDB.path
}

// benchTyping types addresses into the new-mailbox window, one key per iteration, over a real
// database of 10,000 providers that another connection keeps writing to (as another Mailroom
// or a sync would: each write makes the lookup's cache stale). It times each key as the UI
// goroutine sees it (the window's handler of the key, after the entry's own work) and reports
// the mean, the 99th percentile and the slowest; onKey, when not nil, runs in the key's handler
// first; floor replaces the window's handler by nothing, to tell what the machine itself adds.
func benchTyping(b *testing.B, floor bool, onKey func(s *data.Store, address string)) {
	path := typingStore(b)
	s, err := data.Open(path, "ann")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	other, err := data.Open(path, "ann") // another Mailroom on the same file
	if err != nil {
		b.Fatal(err)
	}
	defer other.Close()
	a := test.NewTempApp(b)
	u := New(a, s, data.NewSecrets(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	u.discoverer, u.typingPause, u.watchIdle = offlineDiscoverer(), 0, false
	w := openMailboxUI(u, nil)
	u.jobs.Wait()
	// The window's handler of a key, timed: what Mailroom adds to the entry's own work.
	var took time.Duration
	handler := w.address.OnChanged
	if floor {
		handler = func(string) {}
	}
	w.address.OnChanged = func(text string) {
		start := time.Now()
		if onKey != nil {
			onKey(s, text)
		}
		handler(text)
		took = time.Since(start)
	}

	stop := make(chan struct{})
	var writing sync.WaitGroup
	writing.Add(1)
	go func() { // another process on the same file, changing a provider every few milliseconds
		defer writing.Done()
		p, _ := other.Get(context.Background(), 1)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			p.SMTPTimeout = 30 + i%60
			if err := other.Save(context.Background(), p); err == nil {
				p, _ = other.Get(context.Background(), 1)
			}
		}
	}()
	defer func() { close(stop); writing.Wait() }()

	var slowest, total time.Duration
	keys := make([]time.Duration, 0, b.N)
	address, at := "", 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if at == len(address) {
			b.StopTimer()
			u.jobs.Wait()
			address, at = fmt.Sprintf("ann.example@p%05d.com", (i*7919)%10000), 0
			act(u, func() { w.address.SetText("") })
			u.jobs.Wait()
			b.StartTimer()
		}
		key := string(address[at])
		at++
		act(u, func() { test.Type(w.address, key) }) // as the UI goroutine: nothing else touches the window meanwhile
		total += took
		slowest = max(slowest, took)
		keys = append(keys, took)
	}
	b.StopTimer()
	u.jobs.Wait()
	slices.Sort(keys)
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "handler-ns/key")
	b.ReportMetric(float64(keys[len(keys)*99/100].Microseconds())/1000, "p99-ms/key")
	b.ReportMetric(float64(slowest.Microseconds())/1000, "max-ms/key")
}

// BenchmarkAddressKeystroke is typing in the new-mailbox window as it is: the provider lookup
// runs off the UI goroutine. Goal: no key holds the UI goroutine more than 2 ms.
func BenchmarkAddressKeystroke(b *testing.B) { benchTyping(b, false, nil) }

// BenchmarkAddressKeystrokeFloor is the same typing with an empty handler: the timer and the
// machine's own pauses (a shared machine deschedules the goroutine now and then), the least a
// key can show.
func BenchmarkAddressKeystrokeFloor(b *testing.B) { benchTyping(b, true, nil) }

// BenchmarkAddressKeystrokeBaseline is the same typing with the lookup done in the key's
// handler, on the UI goroutine, as the window did before.
func BenchmarkAddressKeystrokeBaseline(b *testing.B) {
	benchTyping(b, false, func(s *data.Store, address string) {
		if _, _, err := data.SplitAddress(address); err == nil {
			s.ResolveProvider(context.Background(), address)
		}
	})
}

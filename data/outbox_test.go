package data

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestDraftsSaveListDelete(t *testing.T) {
	s, pid := mailboxStore(t)
	ctx := context.Background()
	m := saveMailbox(t, s, &Mailbox{Address: "ann@example.net", ProviderID: pid, Login: "ann"})
	d := &Draft{Composition: Composition{MailboxID: m.ID, From: "ann@example.net", To: "bob, carl@", Subject: "Hi",
		Body: "line 1\nline 2", Attachments: []string{"/tmp/a b.pdf", "/tmp/ü.txt"},
		InReplyTo: "<1@x>", References: []string{"<0@x>", "<1@x>"}}}
	if err := s.SaveDraft(ctx, d); err != nil {
		t.Fatal(err)
	}
	got, err := s.Draft(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Composition, d.Composition) {
		t.Errorf("read back %+v, want %+v", got.Composition, d.Composition)
	}
	d.Subject, d.Attachments = "Hi again", nil
	if err := s.SaveDraft(ctx, d); err != nil {
		t.Fatal(err)
	}
	second := &Draft{Composition: Composition{Subject: "no mailbox yet"}}
	if err := s.SaveDraft(ctx, second); err != nil {
		t.Fatal(err)
	}
	list, err := s.Drafts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != second.ID || list[1].Subject != "Hi again" || list[1].Attachments != nil {
		t.Errorf("Drafts = %+v %+v", list[0], list[1])
	}

	other, err := Open(s.Path(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Draft(ctx, d.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("another user's Draft: %v, want ErrNotFound", err)
	}
	if err := other.SaveDraft(ctx, &Draft{ID: d.ID}); !errors.Is(err, ErrNotFound) {
		t.Errorf("another user's SaveDraft: %v, want ErrNotFound", err)
	}
	if err := other.DeleteDraft(ctx, d.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("another user's DeleteDraft: %v, want ErrNotFound", err)
	}
	if err := s.DeleteDraft(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Draft(ctx, d.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted Draft: %v, want ErrNotFound", err)
	}
}

// outboxStore returns a store with one mailbox and a queued message made from a draft.
func outboxStore(t *testing.T) (*Store, *OutboxItem) {
	t.Helper()
	s, pid := mailboxStore(t)
	ctx := context.Background()
	m := saveMailbox(t, s, &Mailbox{Address: "ann@example.net", ProviderID: pid, Login: "ann"})
	d := &Draft{Composition: Composition{MailboxID: m.ID, From: m.Address, To: "bob@example.net", Subject: "S", Body: "B"}}
	if err := s.SaveDraft(ctx, d); err != nil {
		t.Fatal(err)
	}
	it := &OutboxItem{Composition: d.Composition, MessageID: "<m1@example.net>", Date: time.Now()}
	if err := s.Enqueue(ctx, it, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Draft(ctx, d.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("draft kept after Enqueue: %v", err)
	}
	return s, it
}

func TestOutboxRetryFailResend(t *testing.T) {
	s, it := outboxStore(t)
	ctx := context.Background()
	now := time.Now()
	c, err := s.ClaimOutbox(ctx, "host/1", now)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != it.ID || c.State != OutboxSending || c.Attempts != 1 || c.Body != "B" {
		t.Fatalf("claimed %+v", c)
	}
	if _, err := s.ClaimOutbox(ctx, "host/2", now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second claim: %v, want ErrNotFound", err)
	}
	if err := s.RetryOutbox(ctx, it.ID, now.Add(time.Minute), "offline"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimOutbox(ctx, "host/1", now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("claim before next attempt: %v, want ErrNotFound", err)
	}
	if at, ok, err := s.NextOutboxAttempt(ctx); err != nil || !ok || !at.Equal(now.Add(time.Minute).UTC()) {
		t.Fatalf("NextOutboxAttempt = %v %v %v", at, ok, err)
	}
	c, err = s.ClaimOutbox(ctx, "host/1", now.Add(2*time.Minute))
	if err != nil || c.Attempts != 2 || c.LastError != "offline" {
		t.Fatalf("claim after next attempt: %+v %v", c, err)
	}
	if err := s.FailOutbox(ctx, it.ID, "refused"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOutbox(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("DeleteOutbox(unknown) = %v", err)
	}
	fixed := c.Composition
	fixed.To = "bobby@example.net"
	if err := s.ResendOutbox(ctx, it.ID, &fixed, ""); err != nil {
		t.Fatal(err)
	}
	got, err := s.OutboxItem(ctx, it.ID)
	if err != nil || got.State != OutboxQueued || got.Attempts != 0 || got.To != "bobby@example.net" || got.MessageID != "<m1@example.net>" {
		t.Fatalf("after resend %+v %v", got, err)
	}
	if err := s.ResendOutbox(ctx, it.ID, nil, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("resending a queued message: %v, want ErrNotFound", err)
	}
}

func TestOutboxSentCopyThenTextCleared(t *testing.T) {
	s, it := outboxStore(t)
	ctx := context.Background()
	if _, err := s.ClaimOutbox(ctx, "host/1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkOutboxSent(ctx, it.ID, SentCopyPending); err != nil {
		t.Fatal(err)
	}
	pending, err := s.PendingSentCopies(ctx)
	if err != nil || len(pending) != 1 || pending[0].Body != "B" {
		t.Fatalf("PendingSentCopies = %v %v", pending, err)
	}
	if err := s.ClaimSentCopy(ctx, it.ID, "host/1"); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimSentCopy(ctx, it.ID, "host/2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second copy claim: %v, want ErrNotFound", err)
	}
	if err := s.SentCopyResult(ctx, it.ID, SentCopyDone, ""); err != nil {
		t.Fatal(err)
	}
	got, _ := s.OutboxItem(ctx, it.ID)
	if got.State != OutboxSent || got.SentCopy != SentCopyDone || got.Body != "" || got.SentAt.IsZero() || got.Subject != "S" {
		t.Errorf("after copy %+v", got)
	}
	if err := s.DeleteOutbox(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
}

func TestRecoverOutboxMarksDeadSendersInterrupted(t *testing.T) {
	s, it := outboxStore(t)
	ctx := context.Background()
	if _, err := s.ClaimOutbox(ctx, "host/1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOutbox(ctx, it.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting while sending: %v, want ErrNotFound", err)
	}
	if err := s.MarkOutboxDataEnded(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	n, err := s.RecoverOutbox(ctx, func(string) bool { return true }, "stopped")
	if err != nil || n != 0 {
		t.Fatalf("recover with the sender alive = %d %v", n, err)
	}
	n, err = s.RecoverOutbox(ctx, func(c string) bool { return c != "host/1" }, "stopped")
	if err != nil || n != 1 {
		t.Fatalf("recover = %d %v", n, err)
	}
	got, _ := s.OutboxItem(ctx, it.ID)
	if got.State != OutboxInterrupted || got.LastError != "stopped" || got.Body != "B" || !got.DataEnded {
		t.Errorf("after recover %+v", got)
	}
	if _, err := s.ClaimOutbox(ctx, "host/2", time.Now().Add(time.Hour)); !errors.Is(err, ErrNotFound) {
		t.Errorf("an interrupted message was claimed again: %v", err)
	}
	// Resent, and stopped again before its end reached the server: nobody can have it, so it
	// is queued again, due now.
	if err := s.ResendOutbox(ctx, it.ID, nil, ""); err != nil {
		t.Fatal(err)
	}
	if c, err := s.ClaimOutbox(ctx, "host/2", time.Now()); err != nil || c.DataEnded {
		t.Fatalf("claim after resend: %+v %v", c, err)
	}
	n, err = s.RecoverOutbox(ctx, func(c string) bool { return c != "host/2" }, "stopped")
	if err != nil || n != 0 {
		t.Fatalf("recover before the end = %d %v", n, err)
	}
	got, _ = s.OutboxItem(ctx, it.ID)
	if got.State != OutboxQueued || got.Body != "B" {
		t.Errorf("stopped before the end: %+v", got)
	}
	if _, err := s.ClaimOutbox(ctx, "host/3", time.Now().Add(time.Second)); err != nil {
		t.Errorf("the queued-again message is not due: %v", err)
	}
}

func TestProviderServerSavesSent(t *testing.T) {
	s, pid := mailboxStore(t)
	ctx := context.Background()
	p, err := s.Get(ctx, pid)
	if err != nil || p.ServerSavesSent {
		t.Fatalf("default: %v %v", p.ServerSavesSent, err)
	}
	p.ServerSavesSent = true
	if err := s.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	if p, _ = s.Get(ctx, pid); !p.ServerSavesSent {
		t.Error("Get lost ServerSavesSent")
	}
	list, _ := s.List(ctx)
	if len(list) != 1 || !list[0].ServerSavesSent {
		t.Error("List lost ServerSavesSent")
	}
}

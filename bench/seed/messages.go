package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"mailroom/data"
)

// seedCache gives store's user a mailbox whose Inbox holds n generated messages, written
// 1,000 per transaction as a sync writes them. Their Date headers differ from their arrival
// order (written up to two days before arriving); every 50th has no Date header and every
// 997th claims 2099, so the list's Date order can be seen; some are unread, flagged or carry
// an attachment.
func seedCache(ctx context.Context, s *data.Store, n int) error {
	p := data.NewProvider()
	p.Name, p.IMAP.Host, p.SMTP.Host = "Seeded mail", "imap.seeded.invalid", "smtp.seeded.invalid"
	p.Domains = []string{"seeded.invalid"}
	if err := s.Save(ctx, p); err != nil {
		return fmt.Errorf("seed provider: %w", err)
	}
	box := &data.Mailbox{Address: "ann@seeded.invalid", ProviderID: p.ID, Login: "ann"}
	if err := s.SaveMailbox(ctx, box); err != nil {
		return fmt.Errorf("seed mailbox: %w", err)
	}
	if err := s.SaveFolders(ctx, box.ID, []data.FolderInfo{{Name: "INBOX", Role: data.RoleInbox, Selectable: true},
		{Name: "Sent", Role: data.RoleSent, Selectable: true}, {Name: "Trash", Role: data.RoleTrash, Selectable: true}}); err != nil {
		return fmt.Errorf("seed folders: %w", err)
	}
	folders, err := s.Folders(ctx, box.ID)
	if err != nil {
		return fmt.Errorf("seed folders: %w", err)
	}
	start := time.Now().Add(-time.Duration(n) * 10 * time.Minute).Truncate(time.Minute)
	for from := 1; from <= n; from += 1000 {
		var batch []*data.Message
		for uid := from; uid < from+1000 && uid <= n; uid++ {
			batch = append(batch, seededMessage(uid, start))
		}
		if err := s.StoreMessages(ctx, folders[0].ID, batch, uint32(batch[len(batch)-1].UID)); err != nil {
			return fmt.Errorf("seed messages: %w", err)
		}
	}
	return nil
}

var (
	seedNames    = []string{"Åsa Lindqvist", "Bruno Costa", "Chiara Ricci", "Dmitri Volkov", "Émile Dubois", "Fatima Zahra", "", "Grace Hopper"}
	seedSubjects = []string{"Minutes of the weekly meeting", "Invoice %d for October", "Re: the plan for next quarter, with the figures you asked for and a few questions", "Lunch?", "", "Your order %d has shipped"}
)

func seededMessage(uid int, start time.Time) *data.Message {
	arrived := start.Add(time.Duration(uid) * 10 * time.Minute)
	name := seedNames[uid%len(seedNames)]
	addr := fmt.Sprintf("sender%d@example.org", uid%37)
	subject := seedSubjects[uid%len(seedSubjects)]
	if strings.Contains(subject, "%d") {
		subject = fmt.Sprintf(subject, uid)
	}
	m := &data.Message{UID: uint32(uid), Date: arrived, SentDate: arrived.Add(-time.Duration(uid*7919%2880) * time.Minute),
		Size: int64(800 + uid*104729%900_000), Subject: subject, FromName: name, FromAddr: addr,
		To: "Ann <ann@seeded.invalid>", HasAttachment: uid%7 == 0,
		Flags: data.Flags{Seen: uid%5 != 0, Flagged: uid%23 == 0}}
	switch {
	case uid%50 == 0:
		m.SentDate = time.Time{}
	case uid%997 == 0:
		m.SentDate = time.Date(2099, 1, 1, 9, 0, 0, 0, time.UTC)
	}
	return m
}

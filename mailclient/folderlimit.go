package mailclient

import (
	"fmt"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// MaxFolders is the most folders a mailbox may have: a person's mailbox has tens or
// hundreds, and a server that lists more is broken or hostile.
const MaxFolders = 10000

// maxFolderName is the longest folder name kept, in bytes; a longer one is left out.
const maxFolderName = 1000

// TooManyFoldersError is returned when the server lists more than Limit folders. Nothing
// of the list was kept, and the connection was closed rather than read to its end.
type TooManyFoldersError struct{ Limit int }

func (e *TooManyFoldersError) Error() string {
	return fmt.Sprintf("imap LIST: more than %d folders", e.Limit)
}

func (e *TooManyFoldersError) sentence() string {
	return fmt.Sprintf("The server lists more than %s folders, more than Mailroom takes for one mailbox, so it stopped "+
		"and kept none of them. Delete the folders you do not need on the server, or tell your provider.", thousands(e.Limit))
}

// listFolders lists every folder of c's server (LIST "" *), with opts, reading the answer
// as it comes. At more than MaxFolders it stops, closes c (the rest could be endless), and
// returns a *TooManyFoldersError. Folders named longer than maxFolderName are left out.
func listFolders(c *imapclient.Client, opts *imap.ListOptions) ([]*imap.ListData, error) {
	cmd := c.List("", "*", opts)
	var list []*imap.ListData
	for d := cmd.Next(); d != nil; d = cmd.Next() {
		if len(d.Mailbox) > maxFolderName {
			continue
		}
		if len(list) == MaxFolders {
			go c.Close() // it waits for the reader, which waits for cmd to be drained
			cmd.Close()
			return nil, &TooManyFoldersError{Limit: MaxFolders}
		}
		list = append(list, d)
	}
	return list, cmd.Close()
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

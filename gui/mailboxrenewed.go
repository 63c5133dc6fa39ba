package gui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"mailroom/mailclient"
)

// renewedCerts returns every certificate among the failures in err that differs from the one
// pinned for its server.
func renewedCerts(err error) []*mailclient.PinMismatchError {
	var out []*mailclient.PinMismatchError
	for _, e := range sideErrors(err) {
		var pm *mailclient.PinMismatchError
		if errors.As(e, &pm) {
			out = append(out, pm)
		}
	}
	return out
}

// showRenewedChoice shows, for each server whose certificate changed, the certificate trusted
// before beside the one presented now, and offers to trust the new one: only that explicit
// decision replaces the pin.
func (w *mailboxWindow) showRenewedChoice() {
	w.showResult(false, "The certificate of the server has changed since you trusted it. Servers renew their certificates, "+
		"but a changed certificate can also mean that someone is intercepting the connection: trust the new one only "+
		"if your provider or administrator confirms its fingerprint.")
	w.trust.SetText("Trust the new certificate")
	w.trust.Show()
	// One comparison per change: IMAP and SMTP often share one certificate.
	places := map[[2]string][]string{}
	var order []*mailclient.PinMismatchError
	for _, pm := range w.renewed {
		key := [2]string{pm.Pinned, pm.Cert.SHA256}
		if places[key] == nil {
			order = append(order, pm)
		}
		places[key] = append(places[key], fmt.Sprintf("%s:%d", pm.Host, pm.Port))
	}
	var parts []fyne.CanvasObject
	for _, pm := range order {
		parts = append(parts, renewedComparison(pm, places[[2]string{pm.Pinned, pm.Cert.SHA256}]))
	}
	intro := widget.NewLabel("Compare the new fingerprint with the one your provider or administrator gives. " +
		"If you cannot check it, choose “Not now”: nothing is sent to this server meanwhile.")
	intro.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(append([]fyne.CanvasObject{intro}, parts...)...)
	d := dialog.NewCustomConfirm("The server's certificate has changed", "Trust the new certificate", "Not now",
		container.NewVScroll(content), func(ok bool) {
			if ok {
				w.trustCertificate()
			}
		}, w.win)
	d.Resize(fyne.NewSize(740, 520))
	d.Show()
}

// renewedComparison lays the pinned certificate of pm's server beside the one it presents now.
// places are the servers (host:port) that present it.
func renewedComparison(pm *mailclient.PinMismatchError, places []string) fyne.CanvasObject {
	head := widget.NewLabelWithStyle("Certificate of "+strings.Join(places, " and "), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	decided := "not recorded"
	if !pm.PinnedAt.IsZero() {
		decided = pm.PinnedAt.Local().Format(time.DateOnly)
		if pm.PinnedBy != "" {
			decided += " by " + pm.PinnedBy
		}
	}
	c := pm.Cert
	old := [][2]string{
		{"Subject", orNotRecorded(pm.PinnedSubject)},
		{"Issued by", orNotRecorded(pm.PinnedIssuer)},
		{"Valid", validity(pm.PinnedNotBefore, pm.PinnedNotAfter)},
		{"Trusted on", decided},
		{"SHA-256 fingerprint", mailclient.FormatFingerprint(pm.Pinned)},
	}
	now := [][2]string{
		{"Subject", c.Subject},
		{"Issued by", c.Issuer},
		{"Valid", validity(c.NotBefore, c.NotAfter)},
		{"Valid for", strings.Join(c.Names, ", ")},
		{"SHA-256 fingerprint", mailclient.FormatFingerprint(c.SHA256)},
	}
	return container.NewVBox(widget.NewSeparator(), head, certColumns("Trusted before", old, "Presented now", now))
}

// orNotRecorded is s, or "not recorded" for a pin saved before Mailroom kept it.
func orNotRecorded(s string) string {
	if s == "" {
		return "not recorded"
	}
	return s
}

// validity is the period from notBefore to notAfter, as dates; "not recorded" when unknown
// (a pin saved before Mailroom kept it).
func validity(notBefore, notAfter time.Time) string {
	if notBefore.IsZero() || notAfter.IsZero() {
		return "not recorded"
	}
	return notBefore.Format(time.DateOnly) + " to " + notAfter.Format(time.DateOnly)
}

// certColumns lays two certificates' descriptions side by side under their titles, a name
// and value per line, each line of one beside the same line of the other (rows of the same
// length), so that the fingerprints line up however the lines above them wrap.
func certColumns(leftTitle string, left [][2]string, rightTitle string, right [][2]string) fyne.CanvasObject {
	bold := fyne.TextStyle{Bold: true}
	out := container.NewVBox(container.NewGridWithColumns(2,
		widget.NewLabelWithStyle(leftTitle, fyne.TextAlignLeading, bold), widget.NewLabelWithStyle(rightTitle, fyne.TextAlignLeading, bold)))
	line := func(r [2]string) *widget.Label {
		l := widget.NewLabel(r[0] + ": " + r[1])
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	for i := range left {
		out.Add(container.NewGridWithColumns(2, line(left[i]), line(right[i])))
	}
	return out
}

package gui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"mailroom/mailclient"
)

// untrustedCerts returns every untrusted certificate among the failures in err.
func untrustedCerts(err error) []*mailclient.UntrustedCertError {
	var out []*mailclient.UntrustedCertError
	for _, e := range sideErrors(err) {
		var u *mailclient.UntrustedCertError
		if errors.As(e, &u) {
			out = append(out, u)
		}
	}
	return out
}

func (w *mailboxWindow) showCertChoice() {
	var b strings.Builder
	places := map[string][]string{} // fingerprint -> host:port presenting it
	var order []*mailclient.UntrustedCertError
	for _, u := range w.untrusted {
		if places[u.Cert.SHA256] == nil {
			order = append(order, u)
		}
		places[u.Cert.SHA256] = append(places[u.Cert.SHA256], fmt.Sprintf("%s:%d", u.Host, u.Port))
	}
	for _, u := range order {
		fmt.Fprintf(&b, "Certificate of %s\nSubject: %s\nIssued by: %s\nValid: %s to %s\nSHA-256 fingerprint: %s\n\n",
			strings.Join(places[u.Cert.SHA256], " and "), u.Cert.Subject, u.Cert.Issuer,
			u.Cert.NotBefore.Format(time.DateOnly), u.Cert.NotAfter.Format(time.DateOnly), mailclient.FormatFingerprint(u.Cert.SHA256))
	}
	b.WriteString("Trust it only if this fingerprint is the one your provider or administrator gave you.")
	w.certInfo.SetText(b.String())
	w.certInfo.Show()
	w.trust.Show()
	// The decision is the one thing to do next: ask it where it cannot be missed.
	info := widget.NewLabel(b.String())
	info.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Certificate not trusted", "Trust this certificate", "Not now", info, func(ok bool) {
		if ok {
			w.trustCertificate()
		}
	}, w.win)
	d.Resize(fyne.NewSize(640, 360))
	d.Show()
}

func (w *mailboxWindow) hideCertChoice() {
	w.certInfo.Hide()
	w.trust.Hide()
	w.trust.SetText("Trust this certificate")
}

// trustCertificate records the person's decision and tests again, going on with what the test
// was for (saving, when it was); the pins are saved with the mailbox.
func (w *mailboxWindow) trustCertificate() {
	for _, u := range w.untrusted {
		w.proposed = append(w.proposed, u.Cert.SHA256)
	}
	for _, pm := range w.renewed {
		w.proposed = append(w.proposed, pm.Cert.SHA256)
	}
	w.runTest(w.lastThen)
}

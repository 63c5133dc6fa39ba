package data

import (
	"strings"
	"testing"
)

func TestLookalikeDomainsStayInASCIIWithAWarning(t *testing.T) {
	for _, tc := range []struct {
		typed     string
		lookalike bool
	}{
		{"gmail.com", false},
		{"bücher.de", false},
		{"яндекс.рф", false},  // Cyrillic under a Cyrillic top-level domain
		{"пример.com", false}, // Cyrillic, but not all Latin-looking
		{"日本語.jp", false},
		{"ひらがな漢字.jp", false}, // Japanese kana with Han
		{"한국어漢字.kr", false},
		{"mail-日本.jp", false}, // Latin with Han
		{"gmаil.com", true},   // Cyrillic а among Latin
		{"pаypal.com", true},
		{"wіkipedia.org", true}, // Cyrillic і
		{"аррӏе.com", true},     // all Cyrillic, every letter Latin-looking
		{"ехоро.net", true},
		{"mail.gοogle.com", true}, // Greek ο in a subdomain's parent
		{"αβγ.com", false},        // Greek alone: not whole-script checked
		{"αbc.com", true},         // Greek α among Latin
	} {
		stored, err := NormalizeDomain(tc.typed)
		if err != nil {
			t.Fatalf("NormalizeDomain(%q): %v", tc.typed, err)
		}
		shown := DisplayDomain(stored)
		warning := LookalikeWarning(stored)
		if tc.lookalike {
			if shown != stored || !strings.HasPrefix(shown, "xn--") && !strings.Contains(shown, ".xn--") {
				t.Errorf("%s is shown as %q, want its ASCII form %q", tc.typed, shown, stored)
			}
			if !strings.Contains(warning, stored) || !strings.Contains(warning, "imitate") {
				t.Errorf("%s: warning %q", tc.typed, warning)
			}
		} else {
			if shown != tc.typed || warning != "" {
				t.Errorf("%s is shown as %q with warning %q", tc.typed, shown, warning)
			}
		}
	}
}

func TestBidiControlsLeaveNames(t *testing.T) {
	for in, want := range map[string]string{
		"Mail \u202emoc.liamg\u202c": "Mail moc.liamg",
		"\u2067Evil\u2069 Corp":      "Evil Corp",
		"Plain":                      "Plain",
		"עברית \u200fמייל":           "עברית מייל",
	} {
		if got := CleanName(in); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
	s := newStore(t)
	p := mustSave(t, s, testProvider("Bank \u202eemoc.knab", "bank.example"))
	if strings.ContainsAny(p.Name, bidiControls) {
		t.Errorf("stored name %q keeps a bidi control", p.Name)
	}
}

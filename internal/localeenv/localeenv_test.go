package localeenv

import "testing"

func TestFix(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string // LANGUAGE afterwards; "-" when unset
	}{
		{map[string]string{"LANG": "C.UTF-8"}, "en"},
		{map[string]string{"LC_ALL": "C.utf8", "LANG": "de_DE.UTF-8"}, "en"},
		{map[string]string{"LANG": "POSIX@euro"}, "en"},
		{map[string]string{"LANG": "C"}, "-"},           // go-locale reports no locale: nothing to fix
		{map[string]string{"LC_ALL": "POSIX"}, "-"},     // the same
		{map[string]string{"LANG": "de_DE.UTF-8"}, "-"}, // a real locale stays as it is
		{map[string]string{}, "-"},
		{map[string]string{"LANGUAGE": "C.UTF-8"}, "en"},
		{map[string]string{"LANG": "fr_FR.UTF-8", "LANGUAGE": "fr:C:de"}, "fr:de"},
		{map[string]string{"LANG": "C", "LANGUAGE": "C.UTF-8"}, "C.UTF-8"}, // ignored under LANG=C
		{map[string]string{"LANG": "sv_SE.UTF-8", "LANGUAGE": "sv:en"}, "sv:en"},
	} {
		env := map[string]string{}
		for k, v := range tc.env {
			env[k] = v
		}
		fix(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
		got, ok := env["LANGUAGE"]
		if !ok {
			got = "-"
		}
		if got != tc.want {
			t.Errorf("%v: LANGUAGE=%q, want %q", tc.env, got, tc.want)
		}
	}
}

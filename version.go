package main

import (
	_ "embed"
	"strings"
)

// fyneApp is FyneApp.toml, the one place the version is written (fyne package reads it too).
//
//go:embed FyneApp.toml
var fyneApp string

// version is the Version of FyneApp.toml's [Details]; "unknown" if it has none.
func version() string {
	section := ""
	for _, line := range strings.Split(fyneApp, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[] ")
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if ok && section == "Details" && strings.TrimSpace(key) == "Version" {
			return strings.Trim(strings.TrimSpace(value), `"`)
		}
	}
	return "unknown"
}

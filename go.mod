module mailroom

go 1.26.0

require (
	github.com/mattn/go-sqlite3 v1.14.53
	golang.org/x/net v0.62.0
)

require (
	fyne.io/fyne/v2 v2.7.1 // indirect
	github.com/danieljoos/wincred v1.2.3 // indirect
	github.com/emersion/go-imap/v2 v2.0.0-beta.8 // indirect
	github.com/godbus/dbus/v5 v5.2.2 // indirect
	github.com/wneessen/go-mail v0.8.1 // indirect
	github.com/zalando/go-keyring v0.2.8 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/image v0.48.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

package data

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned when a requested row does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a row was changed by someone else since it was read.
var ErrConflict = errors.New("changed by someone else")

// ErrInUse is returned when something still needs the row to be deleted (mailboxes use a provider).
var ErrInUse = errors.New("still in use")

// ErrNotDatabase is returned by Open for a file that is not a SQLite database or is corrupt.
var ErrNotDatabase = errors.New("not a Mailroom database")

// ErrNewerVersion is returned by Open for a database written by a newer Mailroom.
var ErrNewerVersion = errors.New("database written by a newer Mailroom")

// ErrReadOnly is returned by Open when the database file or its folder cannot be written.
var ErrReadOnly = errors.New("database is read-only")

// FieldError is a validation failure of one field; Field names it so a form can show Msg beside it.
type FieldError struct {
	Field string
	Msg   string
}

// Error returns the field and message as one sentence.
func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Msg) }

// ValidationError holds every field error of one record.
type ValidationError struct {
	Fields []*FieldError
}

// Error returns the first field error, and how many more there are.
func (e *ValidationError) Error() string {
	if len(e.Fields) == 0 {
		return "invalid"
	}
	if len(e.Fields) == 1 {
		return e.Fields[0].Error()
	}
	return fmt.Sprintf("%s (and %d more)", e.Fields[0].Error(), len(e.Fields)-1)
}

// For returns the message for field, or "" when that field is valid.
func (e *ValidationError) For(field string) string {
	for _, f := range e.Fields {
		if f.Field == field {
			return f.Msg
		}
	}
	return ""
}

func (e *ValidationError) add(field, msg string) {
	e.Fields = append(e.Fields, &FieldError{Field: field, Msg: msg})
}

func (e *ValidationError) orNil() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// ErrNotRegular is returned by Open for a path that is not a regular file (a device such as
// /dev/null, a folder, a pipe): SQLite would put its journal beside it.
var ErrNotRegular = errors.New("not a regular file")

// ErrUnreadable is returned by Open when the database file exists but may not be read.
var ErrUnreadable = errors.New("database cannot be read")

// ErrDamaged is returned by Open for a Mailroom database whose pages SQLite's integrity
// check finds broken; Open then leaves the file as it was.
var ErrDamaged = errors.New("database is damaged")

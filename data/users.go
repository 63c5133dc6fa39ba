package data

import (
	"context"
	"database/sql"
	"fmt"
)

// OpManageProviders is the operation that allows changing email providers and their domains.
const OpManageProviders = "manage_providers"

// OperationTitle returns the name people see for an operation.
func OperationTitle(op string) string {
	switch op {
	case OpManageProviders:
		return "Manage email providers"
	}
	return op
}

// User is an OS account that has started Mailroom on this database.
type User struct {
	Name     string
	Granted  map[string]bool // operation -> held
	IsActing bool            // the user this store acts for
}

// registerUser records the acting user; the database's first user is granted every operation,
// in the same transaction, so two first starts cannot both or neither become administrator.
func (s *Store) registerUser() error {
	return s.tx(context.Background(), func(tx *sql.Tx) error {
		now := s.stamp()
		res, err := tx.Exec(`INSERT OR IGNORE INTO users (name, first_seen) VALUES (?, ?)`, s.user, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		var holders int
		if err := tx.QueryRow(`SELECT count(*) FROM grants WHERE operation = ?`, OpManageProviders).Scan(&holders); err != nil {
			return err
		}
		if holders > 0 {
			return nil
		}
		_, err = tx.Exec(`INSERT INTO grants (user_name, operation, granted_by, granted_at) VALUES (?, ?, ?, ?)`,
			s.user, OpManageProviders, s.user, now)
		return err
	})
}

// Can reports whether the acting user holds operation op.
func (s *Store) Can(op string) bool {
	ok, err := hasGrant(s.r, s.user, op)
	return err == nil && ok
}

type queryRower interface {
	QueryRow(query string, args ...any) *sql.Row
}

func hasGrant(q queryRower, user, op string) (bool, error) {
	var n int
	err := q.QueryRow(`SELECT count(*) FROM grants WHERE user_name = ? AND operation = ?`, user, op).Scan(&n)
	return n > 0, err
}

// require fails with ErrPermission unless the acting user holds op; it checks inside the
// write transaction so a grant revoked a moment ago is honoured.
func (s *Store) require(tx *sql.Tx, op string) error {
	ok, err := hasGrant(tx, s.user, op)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s may not %s: %w", s.user, OperationTitle(op), ErrPermission)
	}
	return nil
}

// Users lists every user of the database with the operations each holds, by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT u.name, g.operation FROM users u
		LEFT JOIN grants g ON g.user_name = u.name ORDER BY u.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var name string
		var op sql.NullString
		if err := rows.Scan(&name, &op); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, User{Name: name, Granted: map[string]bool{}, IsActing: name == s.user})
		}
		if op.Valid {
			out[len(out)-1].Granted[op.String] = true
		}
	}
	return out, rows.Err()
}

// Grant gives user the operation op. The acting user must hold op (ErrPermission);
// an unknown user gives ErrNotFound.
func (s *Store) Grant(ctx context.Context, user, op string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.require(tx, op); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM users WHERE name = ?`, user).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("user %s: %w", user, ErrNotFound)
		}
		_, err := tx.Exec(`INSERT OR IGNORE INTO grants (user_name, operation, granted_by, granted_at) VALUES (?, ?, ?, ?)`,
			user, op, s.user, s.stamp())
		return err
	})
}

// ErrLastHolder is returned by Revoke when it would leave an operation with no holder.
var ErrLastHolder = fmt.Errorf("the last holder cannot be removed: %w", ErrPermission)

// Revoke takes operation op from user. The acting user must hold op (ErrPermission), and the
// last holder keeps it (ErrLastHolder).
func (s *Store) Revoke(ctx context.Context, user, op string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.require(tx, op); err != nil {
			return err
		}
		var holders int
		if err := tx.QueryRow(`SELECT count(*) FROM grants WHERE operation = ? AND user_name <> ?`, op, user).Scan(&holders); err != nil {
			return err
		}
		if holders == 0 {
			return ErrLastHolder
		}
		_, err := tx.Exec(`DELETE FROM grants WHERE user_name = ? AND operation = ?`, user, op)
		return err
	})
}

package store

import (
	"context"
	"database/sql"
	"fmt"
)

func FindUser(ctx context.Context, db *sql.DB, name string, id int) error {
	// ruleid: idp.go.sql-string-query
	rows, err := db.Query(fmt.Sprintf("SELECT * FROM users WHERE name = '%s'", name))
	if err != nil {
		return err
	}
	defer rows.Close()
	// ruleid: idp.go.sql-string-query
	if _, err := db.ExecContext(ctx, "DELETE FROM users WHERE name = '"+name+"'"); err != nil {
		return err
	}
	query := fmt.Sprintf("UPDATE users SET active = false WHERE id = %d", id)
	// ruleid: idp.go.sql-string-query
	if _, err := db.Exec(query); err != nil {
		return err
	}
	// ok: idp.go.sql-string-query
	row := db.QueryRowContext(ctx, "SELECT id FROM users WHERE name = $1", name)
	return row.Err()
}

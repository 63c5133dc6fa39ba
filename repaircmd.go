package main

import (
	"errors"
	"fmt"

	"mailroom/data"
)

// repairCmd rebuilds a database whose damage lies only in its cached mail: everything else
// is copied into a new file, the damaged one is kept beside it. It exits 0 when rebuilt or
// when there was nothing to repair, 1 when the damage reaches further or the rebuild failed,
// 2 for bad usage.
func repairCmd(e *env, args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(e.stderr, "Usage: mailroom [--db PATH] repair")
		return 2
	}
	s, err := data.Open(e.dbPath, currentUser())
	if err == nil {
		s.Close()
		fmt.Fprintf(e.stdout, "%s is not damaged; nothing to repair.\n", e.dbPath)
		return 0
	}
	if !errors.Is(err, data.ErrCacheDamaged) {
		reportOpenProblem(e, err)
		return 1
	}
	aside, err := data.RebuildCache(e.dbPath)
	if err != nil {
		e.log.Error("repair database", "path", e.dbPath, "err", err)
		fmt.Fprintf(e.stderr, "mailroom: %s could not be rebuilt: %v. Restore it from a backup.\n", e.dbPath, err)
		return 1
	}
	fmt.Fprintf(e.stdout, "Rebuilt %s without its cached mail, which the next sync downloads again. The damaged file is kept as %s.\n", e.dbPath, aside)
	return 0
}

package maintenance

// Tables whose manifest lists iceberg-go cannot read. DuckDB 1.4's
// iceberg extension writes a v2 manifest list whose Avro schema makes
// every field a union with null (manifest_path is ["null","string"]; the
// Iceberg spec has a plain "string"), and iceberg-go v0.7.0 (the newest
// release) resolves the spec's schema against the file's with
// hamba/avro, which refuses a writer union where the reader has no union
// ("ocf: resolving reader schema: avro: incompatible at manifest_path:
// reader string vs writer null"). Spark, Trino and DuckDB read such lists;
// nothing Tributary does with iceberg-go can (list, plan, rewrite), so
// maintenance reports such a table as skipped instead of failing at every
// check, and tries again when its current snapshot changes.

import (
	"errors"
	"fmt"
	"strings"

	icetable "github.com/apache/iceberg-go/table"
)

// ErrUnreadableManifests marks a table whose current snapshot's manifest
// list (or a manifest) iceberg-go cannot decode.
var ErrUnreadableManifests = errors.New("iceberg-go cannot read the table's manifests")

// unreadable returns err, from reading tbl's manifests, wrapped in
// ErrUnreadableManifests when it is Avro schema resolution that failed
// (hamba/avro's OCF reader says "resolving reader schema"; it has no
// typed error).
func unreadable(tbl *icetable.Table, err error) error {
	if err == nil || !strings.Contains(err.Error(), "resolving reader schema") {
		return err
	}
	var snap int64
	if s := tbl.CurrentSnapshot(); s != nil {
		snap = s.SnapshotID
	}
	return fmt.Errorf("%w: snapshot %d: its Avro schema does not resolve against the Iceberg spec's "+
		"(a writer such as DuckDB 1.4 makes required fields nullable unions, which iceberg-go v0.7.0 refuses): %v",
		ErrUnreadableManifests, snap, err)
}

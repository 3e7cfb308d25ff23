package registry

import (
	"fmt"
	"strconv"
	"strings"
)

// The registry's keys in the metadata store's KV space. Numbers are
// zero-padded so that key order is numeric order; subject names are
// escaped ('%' and '/') so that no subject can reach into another's keys.
//
//	registry/ids                           highest schema id handed out (decimal)
//	registry/schema/<id>                   schemaRec: type, text, references, fingerprint
//	registry/fp/<fingerprint>              id of the schema with that fingerprint
//	registry/subject/<subject>             subjectRec: every version of the subject
//	registry/use/<id>/<subject>/<version>  useRec: <subject> <version> is schema <id>
//	registry/ref/<subject>/<version>/<id>  schema <id> references <subject> <version>
//	registry/config/<subject>              configRec of a subject
//	registry/mode/<subject>                mode of a subject
//	registry/global/config                 configRec set through PUT /config
//	registry/global/mode                   mode set through PUT /mode
const (
	keyPrefix        = "registry/"
	keyIDs           = keyPrefix + "ids"
	keySchemaPrefix  = keyPrefix + "schema/"
	keyFPPrefix      = keyPrefix + "fp/"
	keySubjectPrefix = keyPrefix + "subject/"
	keyUsePrefix     = keyPrefix + "use/"
	keyRefPrefix     = keyPrefix + "ref/"
	keyConfigPrefix  = keyPrefix + "config/"
	keyModePrefix    = keyPrefix + "mode/"
	keyGlobalConfig  = keyPrefix + "global/config"
	keyGlobalMode    = keyPrefix + "global/mode"
)

// maxSubjectBytes keeps every key under the store's 1024-byte limit.
const maxSubjectBytes = 900

var subjectEscaper = strings.NewReplacer("%", "%25", "/", "%2F")

func escSubject(s string) string { return subjectEscaper.Replace(s) }

var subjectUnescaper = strings.NewReplacer("%2F", "/", "%25", "%")

func unescSubject(s string) string { return subjectUnescaper.Replace(s) }

func pad(n int) string { return fmt.Sprintf("%010d", n) }

func keySchema(id int) string    { return keySchemaPrefix + pad(id) }
func keyFP(fp string) string     { return keyFPPrefix + fp }
func keySubject(s string) string { return keySubjectPrefix + escSubject(s) }
func keyUses(id int) string      { return keyUsePrefix + pad(id) + "/" }
func keyUse(id int, s string, v int) string {
	return keyUses(id) + escSubject(s) + "/" + pad(v)
}
func keyRefs(s string, v int) string        { return keyRefPrefix + escSubject(s) + "/" + pad(v) + "/" }
func keyRef(s string, v int, id int) string { return keyRefs(s, v) + pad(id) }
func keyConfig(s string) string             { return keyConfigPrefix + escSubject(s) }
func keyMode(s string) string               { return keyModePrefix + escSubject(s) }

// parseUseKey splits the tail of a use key (after keyUses(id)).
func parseUseKey(tail string) (subject string, version int, ok bool) {
	i := strings.LastIndexByte(tail, '/')
	if i < 0 {
		return "", 0, false
	}
	v, err := strconv.Atoi(tail[i+1:])
	if err != nil {
		return "", 0, false
	}
	return unescSubject(tail[:i]), v, true
}

// parseIDTail reads the id that ends a ref key.
func parseIDTail(key string) (int, bool) {
	i := strings.LastIndexByte(key, '/')
	id, err := strconv.Atoi(key[i+1:])
	return id, err == nil
}

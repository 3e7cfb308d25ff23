package catalog

// Requested table locations: a create-table's "location", a commit's
// set-location (Java's replace and create transactions send one). The
// server writes a table's metadata files through the warehouse's object
// store, or for an allowed location outside it through the area's store
// (outside.go), so a location it takes must be inside the warehouse or
// allowed; any other is not refused but overridden (as Iceberg's reference catalogs may, and
// the REST compatibility kit's rck.overrides-requested-location expects):
// the table gets the location the server would have chosen (for a new
// table) or keeps its own (for a commit), the answer carries a Warning
// header that says so, and the log too.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/apache/iceberg-go/table"
)

// placeLocation returns where a table asked to be at requested goes:
// requested when it is inside the warehouse, else fallback with a note
// saying why.
func (s *Server) placeLocation(requested, fallback string) (loc, note string) {
	requested = strings.TrimSuffix(requested, "/")
	if requested == "" {
		return fallback, ""
	}
	if _, _, err := s.files.locate(requested); err == nil {
		return requested, ""
	}
	return fallback, fmt.Sprintf("requested location %s is outside the warehouse %s and the allowed locations: the table is at %s", requested, s.wh.uri, fallback)
}

// overrideLocations returns updates with each set-location outside the
// warehouse replaced by one to fallback, and the notes of those replaced.
func (s *Server) overrideLocations(updates []table.Update, fallback string) ([]table.Update, []string) {
	var notes []string
	out := updates
	for i, u := range updates {
		if u.Action() != table.UpdateSetLocation {
			continue
		}
		var set struct {
			Location string `json:"location"`
		}
		if err := json.Unmarshal(mustJSON(u), &set); err != nil {
			continue // cannot happen: it came from JSON; applying it decides
		}
		loc, note := s.placeLocation(set.Location, fallback)
		if note == "" {
			continue
		}
		if len(notes) == 0 {
			out = append([]table.Update(nil), updates...)
		}
		out[i] = table.NewSetLocationUpdate(loc)
		notes = append(notes, note)
	}
	return out, notes
}

// warnOverridden logs each overridden location and adds a Warning header
// (RFC 9111's 299, "miscellaneous persistent warning") for it to the
// answer.
func (s *Server) warnOverridden(w http.ResponseWriter, r *http.Request, notes []string) {
	for _, n := range notes {
		s.log.Info("table location overridden", "method", r.Method, "path", r.URL.Path, "why", n)
		w.Header().Add("Warning", "299 tributary "+strconv.Quote(n))
	}
}

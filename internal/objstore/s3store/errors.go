package s3store

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/tributary-io/tributary/internal/objstore"
)

// ErrUnavailable marks a failure that may pass by itself: the server could
// not be reached, timed out, answered 5xx, or throttled, and the SDK's
// bounded retries did not get through. The outcome of a Put so failed is
// unknown: the object may have been stored, and a request that timed out
// may even be carried out later, after a newer Put of the same key (seen
// with a server that was frozen and then resumed). Retrying with the same
// data is safe; writing different data to the same key is not, so the log
// never reuses a key. Any other error (access denied, no such
// bucket, a bad request) will fail again the same way until someone
// changes the configuration.
// It is objstore.ErrUnavailable, so the log's writer can tell such
// failures apart without knowing the backend.
var ErrUnavailable = objstore.ErrUnavailable

// IsUnavailable reports whether err is a failure that may pass by itself
// (ErrUnavailable).
func IsUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }

// wrap turns an SDK error from operation op on key into this package's
// classes. caller is the context the caller gave; the SDK call ran under a
// child of it carrying the store's Timeout, so a deadline the caller did not
// set is the store's timeout, which is ErrUnavailable.
func (s *Store) wrap(op, key string, caller context.Context, err error) error {
	where := op + " " + s.url(key)
	switch {
	case isCode(err, "NoSuchKey", "NotFound"):
		return fmt.Errorf("%s: %w", where, objstore.ErrNotFound)
	case isRangeNotSatisfiable(err):
		return fmt.Errorf("%s: %w", where, objstore.ErrRangeInvalid)
	case caller.Err() != nil && !errors.Is(err, caller.Err()):
		return fmt.Errorf("%s: %w: %w", where, caller.Err(), err)
	case caller.Err() != nil:
		return fmt.Errorf("%s: %w", where, err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w: timed out after %v: %w", where, ErrUnavailable, s.timeout, err)
	case s.retryer.IsErrorRetryable(err):
		return fmt.Errorf("%s: %w: %w", where, ErrUnavailable, err)
	default:
		return fmt.Errorf("%s: %w", where, err)
	}
}

// isCode reports whether err is an S3 error response with one of codes.
// HEAD responses have no body, so their 404 arrives as "NotFound".
func isCode(err error, codes ...string) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	for _, c := range codes {
		if apiErr.ErrorCode() == c {
			return true
		}
	}
	return false
}

func isRangeNotSatisfiable(err error) bool {
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusRequestedRangeNotSatisfiable {
		return true
	}
	return isCode(err, "InvalidRange")
}

// Package s3store is the S3 backend of objstore.Store, on aws-sdk-go-v2. It
// works against AWS S3 and S3-compatible servers (versitygw, MinIO):
// endpoint, region and path-style addressing are configurable, and
// credentials are static keys or the SDK's default chain.
//
// Each Store operation is one S3 request (List: one per page of 1000
// keys): Put a single PutObject, Get a GetObject, GetRange a ranged
// GetObject, Delete a DeleteObject, List ListObjectsV2. Objects are at
// most tens of MB (intake objects and segments), well under a single
// PUT's 5 GiB, so there is no multipart upload and a Put is atomic: S3
// never shows a partial object, and a replaced key shows the old object or
// the new one whole.
//
// Retries and errors: the SDK's standard retryer tries a request up to
// Options.MaxAttempts times on network errors, 5xx answers and throttling,
// with jittered backoff capped at Options.MaxBackoff (100ms by default:
// the log's writer retries a failed flush itself), and gives up early when its retry
// quota (shared by all requests of a Store) runs dry during an outage.
// Options.Timeout bounds each operation, attempts and backoff included.
// Errors name the operation and object ("put s3://bucket/prefix/key: …")
// and wrap their cause; a missing key wraps objstore.ErrNotFound, a range
// outside the object objstore.ErrRangeInvalid, and a failure that may pass
// by itself (unreachable, timed out, 5xx, throttled) ErrUnavailable. The
// secret key never appears in an error or a log line (Options redacts it
// in String and LogValue).
//
// Checksums: the SDK's defaults are kept (it computes a CRC32 checksum for
// PutObject and validates checksums on responses that carry one); versitygw
// accepts them. A server that rejects them needs the SDK's
// AWS_REQUEST_CHECKSUM_CALCULATION=when_required and
// AWS_RESPONSE_CHECKSUM_VALIDATION=when_required, which the default
// configuration chain reads.
package s3store

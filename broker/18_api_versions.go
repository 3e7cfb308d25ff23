package broker

// ApiVersions, versions 0-5 (KIP-35, KIP-511 flexible v3+, KIP-1242 v5).
//
// The answer is built from the handler table (apis.go), never from a second
// list. A request at a version we do not know is answered at version 0 with
// UNSUPPORTED_VERSION and the table, so the client can pick a version, as
// Kafka does (conn.go handles that case before decoding). From v5 a client
// may name the cluster and node it expects: one without the other is
// INVALID_REQUEST, a mismatch is REBOOTSTRAP_REQUIRED.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(0, 5, handleApiVersions) }

func handleApiVersions(s *Server, c *conn, req *kmsg.ApiVersionsRequest) (reply, error) {
	resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
	switch {
	case req.Version < 5:
	case (req.ClusterID == nil) != (req.NodeID == -1):
		resp.ErrorCode = kerr.InvalidRequest.Code
		return now(resp), nil
	case req.ClusterID != nil && (*req.ClusterID != s.opts.ClusterID || req.NodeID != s.nodeID()):
		resp.ErrorCode = kerr.RebootstrapRequired.Code
		return now(resp), nil
	}
	fillApiVersions(resp)
	return now(resp), nil
}

func fillApiVersions(resp *kmsg.ApiVersionsResponse) {
	for _, a := range apiKeys() {
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MinVersion, k.MaxVersion = a.key, a.min, a.max
		resp.ApiKeys = append(resp.ApiKeys, k)
	}
}

// unsupportedApiVersions is the v0 answer to an ApiVersions request at a
// version above the ones we serve.
func unsupportedApiVersions() *kmsg.ApiVersionsResponse {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = 0
	resp.ErrorCode = kerr.UnsupportedVersion.Code
	fillApiVersions(resp)
	return resp
}

package broker

// Shared by the ACL APIs (29 DescribeAcls, 30 CreateAcls, 31 DeleteAcls):
// with no kafka.authorization configured they answer
// CLUSTER_AUTHORIZATION_FAILED, as Bufstream does; otherwise DescribeAcls
// needs DESCRIBE on the cluster and the others ALTER. Version 0 requests
// carry no pattern type: they mean LITERAL, as in Kafka.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/broker/auth"
)

// aclsRefused returns the error code and message refusing an ACL API call,
// or 0 when it may go on.
func (s *Server) aclsRefused(c *conn, op kmsg.ACLOperation) (int16, *string) {
	if s.sec.authz == nil {
		msg := "ACL authorization is not enabled (kafka.authorization)"
		return kerr.ClusterAuthorizationFailed.Code, &msg
	}
	if !s.clusterAllowed(c, op) {
		msg := "Cluster authorization failed"
		return kerr.ClusterAuthorizationFailed.Code, &msg
	}
	return 0, nil
}

// aclFilter converts a request filter; version 0 means LITERAL.
func aclFilter(version int16, rt kmsg.ACLResourceType, name *string, pt kmsg.ACLResourcePatternType,
	principal, host *string, op kmsg.ACLOperation, perm kmsg.ACLPermissionType) (auth.Filter, bool) {
	if version == 0 {
		pt = kmsg.ACLResourcePatternTypeLiteral
	}
	f := auth.Filter{ResourceType: rt, Name: name, Pattern: pt, Principal: principal, Host: host, Operation: op, Permission: perm}
	ok := rt >= kmsg.ACLResourceTypeAny && rt <= kmsg.ACLResourceTypeUser &&
		pt >= kmsg.ACLResourcePatternTypeAny && pt <= kmsg.ACLResourcePatternTypePrefixed &&
		op >= kmsg.ACLOperationAny && op <= kmsg.ACLOperationDescribeTokens &&
		perm >= kmsg.ACLPermissionTypeAny && perm <= kmsg.ACLPermissionTypeAllow
	return f, ok
}

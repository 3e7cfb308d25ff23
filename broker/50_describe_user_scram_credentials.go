package broker

// DescribeUserScramCredentials, version 0: each user's SCRAM mechanisms and
// iteration counts (never salts or keys), all users when none are named.
// A named user without credentials is RESOURCE_NOT_FOUND, a user named
// twice DUPLICATE_RESOURCE; DESCRIBE on the cluster is required
// (CLUSTER_AUTHORIZATION_FAILED), as in Kafka.

import (
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/broker/auth"
)

func init() { register(0, 0, handleDescribeUserScramCredentials) }

func handleDescribeUserScramCredentials(s *Server, c *conn, req *kmsg.DescribeUserSCRAMCredentialsRequest) (reply, error) {
	resp := req.ResponseKind().(*kmsg.DescribeUserSCRAMCredentialsResponse)
	if !s.clusterAllowed(c, kmsg.ACLOperationDescribe) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		return now(resp), nil
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	users, err := s.sec.store.ScramUsers(ctx)
	if err != nil {
		resp.ErrorCode = storeErrCode(err)
		return now(resp), nil
	}
	var names []string
	if req.Users == nil {
		for u := range users {
			names = append(names, u)
		}
		sort.Strings(names)
	} else {
		for _, u := range req.Users {
			names = append(names, u.Name)
		}
	}
	count := map[string]int{}
	for _, n := range names {
		count[n]++
	}
	for _, n := range names {
		r := kmsg.NewDescribeUserSCRAMCredentialsResponseResult()
		r.User = n
		switch {
		case count[n] > 1:
			r.ErrorCode = kerr.DuplicateResource.Code
		case len(users[n]) == 0:
			r.ErrorCode = kerr.ResourceNotFound.Code
			msg := "Attempt to describe a user credential that does not exist: " + n
			r.ErrorMessage = &msg
		}
		if r.ErrorCode == 0 {
			r.CredentialInfos = credentialInfos(users[n])
		}
		resp.Results = append(resp.Results, r)
	}
	return now(resp), nil
}

func credentialInfos(cs []auth.ScramCredential) []kmsg.DescribeUserSCRAMCredentialsResponseResultCredentialInfo {
	out := make([]kmsg.DescribeUserSCRAMCredentialsResponseResultCredentialInfo, 0, len(cs))
	for _, c := range cs {
		i := kmsg.NewDescribeUserSCRAMCredentialsResponseResultCredentialInfo()
		i.Mechanism, i.Iterations = int8(c.Mechanism), c.Iterations
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Mechanism < out[b].Mechanism })
	return out
}

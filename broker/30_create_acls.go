package broker

// CreateAcls, versions 0-3: stores each valid binding (an invalid one,
// e.g. pattern ANY or a principal without a type, is INVALID_REQUEST for
// that creation only); creating a stored binding again changes nothing.
// Every broker sees the new set within auth.RefreshInterval, this one at
// once. See acls.go for authorization.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/broker/auth"
)

func init() { register(0, 3, handleCreateAcls) }

func handleCreateAcls(s *Server, c *conn, req *kmsg.CreateACLsRequest) (reply, error) {
	resp := req.ResponseKind().(*kmsg.CreateACLsResponse)
	resp.Results = make([]kmsg.CreateACLsResponseResult, len(req.Creations))
	code, msg := s.aclsRefused(c, kmsg.ACLOperationAlter)
	var good []auth.Binding
	var goodAt []int
	for i, cr := range req.Creations {
		r := &resp.Results[i]
		*r = kmsg.NewCreateACLsResponseResult()
		if code != 0 {
			r.ErrorCode, r.ErrorMessage = code, msg
			continue
		}
		b := auth.Binding{ResourceType: cr.ResourceType, Name: cr.ResourceName, Pattern: cr.ResourcePatternType,
			Principal: cr.Principal, Host: cr.Host, Operation: cr.Operation, Permission: cr.PermissionType}
		if req.Version == 0 {
			b.Pattern = kmsg.ACLResourcePatternTypeLiteral
		}
		if err := b.Validate(); err != nil {
			m := err.Error()
			r.ErrorCode, r.ErrorMessage = kerr.InvalidRequest.Code, &m
			continue
		}
		good, goodAt = append(good, b), append(goodAt, i)
	}
	if len(good) == 0 {
		return now(resp), nil
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	if err := s.sec.store.CreateACLs(ctx, good); err != nil {
		for _, i := range goodAt {
			resp.Results[i].ErrorCode = storeErrCode(err)
		}
	}
	s.sec.authz.Invalidate()
	return now(resp), nil
}

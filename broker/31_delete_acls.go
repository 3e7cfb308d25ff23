package broker

// DeleteAcls, versions 0-3: deletes every binding each filter selects and
// lists them under that filter. See acls.go for authorization.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/broker/auth"
)

func init() { register(0, 3, handleDeleteAcls) }

func handleDeleteAcls(s *Server, c *conn, req *kmsg.DeleteACLsRequest) (reply, error) {
	resp := req.ResponseKind().(*kmsg.DeleteACLsResponse)
	resp.Results = make([]kmsg.DeleteACLsResponseResult, len(req.Filters))
	for i := range resp.Results {
		resp.Results[i] = kmsg.NewDeleteACLsResponseResult()
	}
	setAll := func(code int16, msg *string) (reply, error) {
		for i := range resp.Results {
			resp.Results[i].ErrorCode, resp.Results[i].ErrorMessage = code, msg
		}
		return now(resp), nil
	}
	if code, msg := s.aclsRefused(c, kmsg.ACLOperationAlter); code != 0 {
		return setAll(code, msg)
	}
	var filters []auth.Filter
	var at []int
	for i, f := range req.Filters {
		af, ok := aclFilter(req.Version, f.ResourceType, f.ResourceName, f.ResourcePatternType, f.Principal, f.Host, f.Operation, f.PermissionType)
		if !ok {
			resp.Results[i].ErrorCode = kerr.InvalidRequest.Code
			continue
		}
		filters, at = append(filters, af), append(at, i)
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	deleted, err := s.sec.store.DeleteACLs(ctx, filters)
	if err != nil {
		return setAll(storeErrCode(err), nil)
	}
	s.sec.authz.Invalidate()
	for k, bs := range deleted {
		r := &resp.Results[at[k]]
		for _, b := range bs {
			m := kmsg.NewDeleteACLsResponseResultMatchingACL()
			m.ResourceType, m.ResourceName, m.ResourcePatternType = b.ResourceType, b.Name, b.Pattern
			m.Principal, m.Host, m.Operation, m.PermissionType = b.Principal, b.Host, b.Operation, b.Permission
			r.MatchingACLs = append(r.MatchingACLs, m)
		}
	}
	return now(resp), nil
}

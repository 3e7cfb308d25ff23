package broker

// DescribeAcls, versions 0-3: the stored bindings a filter selects,
// grouped by resource pattern. See acls.go for authorization.

import (
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/broker/auth"
)

func init() { register(0, 3, handleDescribeAcls) }

func handleDescribeAcls(s *Server, c *conn, req *kmsg.DescribeACLsRequest) (reply, error) {
	resp := req.ResponseKind().(*kmsg.DescribeACLsResponse)
	if resp.ErrorCode, resp.ErrorMessage = s.aclsRefused(c, kmsg.ACLOperationDescribe); resp.ErrorCode != 0 {
		return now(resp), nil
	}
	f, ok := aclFilter(req.Version, req.ResourceType, req.ResourceName, req.ResourcePatternType, req.Principal, req.Host, req.Operation, req.PermissionType)
	if !ok {
		resp.ErrorCode = kerr.InvalidRequest.Code
		return now(resp), nil
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	all, err := s.sec.store.ACLs(ctx)
	if err != nil {
		resp.ErrorCode = storeErrCode(err)
		return now(resp), nil
	}
	type resource struct {
		rt      kmsg.ACLResourceType
		name    string
		pattern kmsg.ACLResourcePatternType
	}
	byResource := map[resource][]auth.Binding{}
	var order []resource
	for _, b := range all {
		if !f.Matches(b) {
			continue
		}
		r := resource{b.ResourceType, b.Name, b.Pattern}
		if _, seen := byResource[r]; !seen {
			order = append(order, r)
		}
		byResource[r] = append(byResource[r], b)
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.rt != b.rt {
			return a.rt < b.rt
		}
		if a.name != b.name {
			return a.name < b.name
		}
		return a.pattern < b.pattern
	})
	for _, r := range order {
		out := kmsg.NewDescribeACLsResponseResource()
		out.ResourceType, out.ResourceName, out.ResourcePatternType = r.rt, r.name, r.pattern
		for _, b := range byResource[r] {
			a := kmsg.NewDescribeACLsResponseResourceACL()
			a.Principal, a.Host, a.Operation, a.PermissionType = b.Principal, b.Host, b.Operation, b.Permission
			out.ACLs = append(out.ACLs, a)
		}
		resp.Resources = append(resp.Resources, out)
	}
	return now(resp), nil
}

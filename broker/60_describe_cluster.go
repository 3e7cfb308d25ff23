package broker

// DescribeCluster, versions 0-2 (KIP-700): the cluster ID and the live
// brokers, this one being the controller.

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(0, 2, handleDescribeCluster) }

func handleDescribeCluster(s *Server, c *conn, req *kmsg.DescribeClusterRequest) (reply, error) {
	resp := req.ResponseKind().(*kmsg.DescribeClusterResponse)
	resp.EndpointType = req.EndpointType
	resp.ClusterID = s.opts.ClusterID
	resp.ControllerID = s.nodeID()
	resp.ClusterAuthorizedOperations = -2147483648
	for _, b := range s.brokers() {
		db := kmsg.NewDescribeClusterResponseBroker()
		db.NodeID, db.Host, db.Port, db.Rack = b.NodeID, b.Host, b.Port, b.Rack
		resp.Brokers = append(resp.Brokers, db)
	}
	return now(resp), nil
}

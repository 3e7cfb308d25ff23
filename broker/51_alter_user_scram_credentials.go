package broker

// AlterUserScramCredentials, version 0: upserts and deletes SCRAM
// credentials (what `kafka-configs --alter --add-config
// 'SCRAM-SHA-256=[password=…]' --entity-type users` sends; the client
// salts and hashes the password, the broker keeps only StoredKey and
// ServerKey). One result per user, as Kafka: ALTER on the cluster is
// required (CLUSTER_AUTHORIZATION_FAILED); an unknown mechanism is
// UNSUPPORTED_SASL_MECHANISM; an empty name, empty salt or password, or
// iterations outside [4096, 16384] UNACCEPTABLE_CREDENTIAL; a user and
// mechanism named twice DUPLICATE_RESOURCE; deleting an absent credential
// RESOURCE_NOT_FOUND. A user's changes apply only if all of them are good.

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/broker/auth"
)

func init() { register(0, 0, handleAlterUserScramCredentials) }

// scramChange is one requested change of a user's credential.
type scramChange struct {
	mech   auth.Mechanism
	delete bool
	cred   auth.ScramCredential
}

func handleAlterUserScramCredentials(s *Server, c *conn, req *kmsg.AlterUserSCRAMCredentialsRequest) (reply, error) {
	resp := req.ResponseKind().(*kmsg.AlterUserSCRAMCredentialsResponse)
	var order []string
	changes := map[string][]scramChange{}
	fails := map[string]*kmsg.AlterUserSCRAMCredentialsResponseResult{}
	fail := func(user string, code int16, msg string) {
		if fails[user] == nil {
			r := kmsg.NewAlterUserSCRAMCredentialsResponseResult()
			r.User, r.ErrorCode, r.ErrorMessage = user, code, &msg
			fails[user] = &r
		}
	}
	add := func(user string, ch scramChange) {
		if _, seen := changes[user]; !seen {
			order = append(order, user)
		}
		for _, o := range changes[user] {
			if o.mech == ch.mech {
				fail(user, kerr.DuplicateResource.Code, "A user credential cannot be altered twice in the same request")
			}
		}
		changes[user] = append(changes[user], ch)
	}
	for _, d := range req.Deletions {
		m := auth.Mechanism(d.Mechanism)
		add(d.Name, scramChange{mech: m, delete: true})
		if _, ok := auth.MechanismNamed(m.String()); !ok {
			fail(d.Name, kerr.UnsupportedSaslMechanism.Code, "Unknown SCRAM mechanism")
		}
		if d.Name == "" {
			fail(d.Name, kerr.UnacceptableCredential.Code, "Username must not be empty")
		}
	}
	for _, u := range req.Upsertions {
		m := auth.Mechanism(u.Mechanism)
		cred, err := auth.NewScramCredential(m, u.Salt, u.SaltedPassword, u.Iterations)
		add(u.Name, scramChange{mech: m, cred: cred})
		switch {
		case errors.Is(err, auth.ErrUnsupportedMechanism):
			fail(u.Name, kerr.UnsupportedSaslMechanism.Code, "Unknown SCRAM mechanism")
		case err != nil:
			fail(u.Name, kerr.UnacceptableCredential.Code, err.Error())
		case u.Name == "" || len(u.Salt) == 0 || len(u.SaltedPassword) == 0:
			fail(u.Name, kerr.UnacceptableCredential.Code, "Username, salt and salted password must not be empty")
		}
	}
	allowed := s.clusterAllowed(c, kmsg.ACLOperationAlter)
	ctx, cancel := s.requestContext()
	defer cancel()
	for _, user := range order {
		if !allowed {
			fail(user, kerr.ClusterAuthorizationFailed.Code, "Cluster authorization failed")
		}
		if fails[user] == nil {
			s.applyScramChanges(ctx, user, changes[user], fail)
		}
		if r := fails[user]; r != nil {
			resp.Results = append(resp.Results, *r)
			continue
		}
		r := kmsg.NewAlterUserSCRAMCredentialsResponseResult()
		r.User = user
		resp.Results = append(resp.Results, r)
	}
	return now(resp), nil
}

// applyScramChanges applies one user's checked changes, deletions first.
func (s *Server) applyScramChanges(ctx context.Context, user string, chs []scramChange, fail func(string, int16, string)) {
	for _, ch := range chs {
		if !ch.delete {
			continue
		}
		if _, err := s.sec.store.Scram(ctx, user, ch.mech); errors.Is(err, auth.ErrNoCredential) {
			fail(user, kerr.ResourceNotFound.Code, "Attempt to delete a user credential that does not exist")
			return
		}
	}
	for _, ch := range chs {
		var err error
		if ch.delete {
			err = s.sec.store.DeleteScram(ctx, user, ch.mech)
		} else {
			err = s.sec.store.PutScram(ctx, user, ch.cred)
		}
		if err != nil {
			fail(user, storeErrCode(err), "Storing the credential failed")
			return
		}
	}
}

// Package metastoretest is the conformance suite of metastore.Store, its
// Cluster, Groups and KV parts included: every backend (boltstore,
// postgres) runs Run in its own tests, so the contract written in package
// metastore is checked the same way for all. The Cluster subtests let registrations and leases
// lapse for real, polling the store until it agrees (its clock, not the
// test's, decides), so they take a few hundred milliseconds each.
//
// A backend provides a NewStore function that prepares one fresh, empty
// store and returns an Opener for it. Each call of the Opener returns a
// new handle on the same data; the durability subtests close a handle and
// open the next to check that what was committed is still there. The
// suite closes every handle it opens; a backend's own t.Cleanup removes
// the data (t.TempDir, a dropped schema).
//
//	func TestConformance(t *testing.T) {
//		metastoretest.Run(t, func(t *testing.T) metastoretest.Opener {
//			path := filepath.Join(t.TempDir(), "meta.db")
//			return func(t *testing.T) metastore.Store {
//				s, err := boltstore.Open(path, boltstore.Options{})
//				if err != nil {
//					t.Fatal(err)
//				}
//				return s
//			}
//		})
//	}
package metastoretest

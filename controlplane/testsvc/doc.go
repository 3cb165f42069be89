// Package testsvc gives tests the real services Hearth runs on —
// PostgreSQL, Redis and an S3 server — started once per test binary, on
// first use, by controlplane/internal/localsvc, and stopped when the tests
// are done:
//
//	func TestMain(m *testing.M) { testsvc.Main(m) }
//
// (or testsvc.Run(m) to check goroutine leaks with goleak before exiting).
//
// Isolation per test:
//
//   - NewDatabase / NewDatabaseURL: a fresh database cloned from a template
//     migrated once per binary, dropped at cleanup. For code that commits.
//   - Tx: a transaction on a shared migrated database, rolled back at
//     cleanup. For queries; the cheapest.
//   - EmptyDatabaseURL: a fresh database without any migration applied.
//   - Redis: a Redis database number (SELECT n) no other running test holds,
//     flushed when the test ends. Pub/sub channels are server-wide whatever
//     the database: prefix their names with KeyPrefix.
//   - S3: a fresh bucket, removed when the test ends.
//   - NewPostgres / NewRedis: a server of the test's own, which it may
//     stop, kill and start again at the same address (fault tests),
//     stopped when the test ends.
//
// A missing server binary fails the test with the command that installs it;
// nothing is ever skipped. Server output is discarded (it is quoted in the
// error when a server fails to start).
//
// The services of a test binary are package-level state by nature (one set
// per process, shared by every test); it is the only such state, guarded by
// a mutex and sync.Once values, and it is torn down by Main.
package testsvc

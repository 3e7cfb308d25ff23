// Package tests3 runs a real S3-compatible server for tests: versitygw
// (github.com/versity/versitygw) with its posix backend, listening on a free
// 127.0.0.1 port and keeping its buckets in a temporary directory.
//
// Start returns the test binary's shared server, started on first use and
// reused by every later test; NewBucket gives each caller a bucket no other
// test uses, so tests sharing the server stay independent and may run in
// parallel. A fault test that needs to take S3 away gets a server of its own
// from NewServer and drives it with Stop, Start, Pause and Resume; the shared
// server cannot be stopped. A program (a benchmark) gets one without a
// testing.TB from Launch, which NewServer is built on, and stops it with
// Close.
//
// Finding the server: $TESTS3_VERSITYGW if set, else "versitygw" in PATH,
// else $(go env GOPATH)/bin/versitygw. Where none exists the test is skipped
// with the install command (InstallHint), unless the environment says CI=true,
// where a missing server is a failure: CI installs it in .ci/run.
//
// Lifetime: every server is started with a parent-death signal, so it dies
// with the test binary even if the binary is killed. A package that calls
// Main from its TestMain also stops the shared server and removes its
// directory when the tests end; without it, the directory is left behind
// and the next test binary that starts a server removes it, once the
// process that owned it is gone.
package tests3

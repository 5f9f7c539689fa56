// Package prototest is what tests of protobuf conversions share (the
// engine API's and the plugins'). Only tests import it (deps_test.go).
package prototest

import (
	"testing"

	"google.golang.org/protobuf/proto"
)

// RoundTrip marshals m and unmarshals it into a new message of its type,
// as a connection carries it.
func RoundTrip[M proto.Message](t testing.TB, m M) M {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	out := m.ProtoReflect().New().Interface().(M)
	if err := proto.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
	return out
}

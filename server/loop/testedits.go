package loop

// Tests are evidence: a fix makes the code pass the tests as they are. An
// attempt that changes or deletes a test that existed before it is
// rejected (verify's TestEditsRefuse), unless .gauntlet.yaml says
// loop.allow_test_edits: true, and the next request says which test it
// changed.

import (
	"fmt"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
	"github.com/gauntlet-dev/gauntlet/server/prompt"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// fixTestEdits are the verify options for an attempt at p: edits of tests
// are refused unless the configuration allows them, but for the test that
// holds a finding or an instruction p is about (fixing a finding inside a
// test changes that test).
func fixTestEdits(vo verify.Options, p *Problem) verify.Options {
	if vo.TestEdits == verify.TestEditsAllow {
		return vo
	}
	vo.TestEdits = verify.TestEditsRefuse
	vo.TestEditsAt = nil
	if p != nil && p.Kind != KindTest && p.Line > 0 {
		vo.TestEditsAt = []testrun.Lines{{Path: p.Path, Start: p.Line, End: p.Line}}
	}
	return vo
}

// testEditRejection is the reason and the evidence of an attempt that the
// tests gate rejected for changing tests; ok is false for any other
// rejection.
func testEditRejection(answer string, g *verify.Gate) (reason string, ev *prompt.Attempt, ok bool) {
	if g == nil || g.Name != verify.GateTests || len(g.Refused) == 0 {
		return "", nil, false
	}
	var b strings.Builder
	for _, r := range g.Refused {
		fmt.Fprintf(&b, "The fix %s (%s), not the code.\n", r.Reason, r.Path)
	}
	b.WriteString("The tests are the evidence of what the code must do: change the code under test so that the tests pass as they are, without changing, deleting or skipping any test or the helpers and data they use.")
	reason = fmt.Sprintf("%s: the fix %s, not the code", verify.GateTests, g.Refused[0].Reason)
	return reason, &prompt.Attempt{Answer: answer, Gate: g.Name, Error: b.String()}, true
}

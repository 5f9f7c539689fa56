package analysis

// ProgressKind is the phase of a progress report, as in LSP's $/progress.
// The values are engine.proto's Progress.Kind numbers (0 is unspecified).
type ProgressKind int

const (
	ProgressBegin ProgressKind = iota + 1
	ProgressReport
	ProgressEnd
)

// Progress is one step of a long job: a test run, a coverage map, the
// verify gates, the fix loop. Every layer reports it in this one shape:
// testrun, the loop, the engine API, the LSP's $/progress and the command
// line's stderr.
type Progress struct {
	Kind    ProgressKind
	Job     string // "tests", "coverage", "verify", "fix"; set by the caller that knows the job
	Title   string // with ProgressBegin: "Running 12 tests", "Building the coverage map"
	Message string // "calc.TestAdd passed"
	Percent int    // 0..100, or -1 when unknown
	Gate    string // with verify: the gate that starts
}

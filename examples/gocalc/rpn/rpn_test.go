package rpn

import "testing"

func TestEval(t *testing.T) {
	for _, c := range []struct {
		expr string
		want int
	}{
		{"2 3 +", 5},
		{"2 3 + 4 *", 20},
		{"9 3 /", 3},
	} {
		got, err := Eval(c.expr)
		if err != nil || got != c.want {
			t.Errorf("Eval(%q) = %d, %v; want %d", c.expr, got, err, c.want)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	for _, expr := range []string{"+", "1 0 /", "1 2 ^", "1 2"} {
		if _, err := Eval(expr); err == nil {
			t.Errorf("Eval(%q) succeeded, want an error", expr)
		}
	}
}

func BenchmarkEval(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Eval("2 3 + 4 *")
	}
}

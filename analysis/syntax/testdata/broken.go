package broken

func add(a int, b int) int {
	return a +
} // want "expected operand, found '}'"

func ok() int { return 1 }

func call() {
	fmt.Println("x" // want "missing ',' before newline in argument list"
}

// The tree-sitter Go grammar lags the language: these compile (Go 1.26's new
// of an expression, a local func named make) and have no finding.
func newer() {
	type secretType int
	secretValue := 1
	_ = new(secretType(secretValue))
	make := func(n int) []int { return nil }
	_ = make(3)
}

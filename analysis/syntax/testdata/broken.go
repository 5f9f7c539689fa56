package broken

func add(a int, b int) int {
	return a + // want "unexpected `\\+`"
}

func ok() int { return 1 }

func call() {
	fmt.Println("x" // want "missing `\\)`"
}

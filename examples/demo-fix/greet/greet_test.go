package greet

func ExampleGreet() {
	Greet("gauntlet")
	// Output: Hello, gauntlet!
}

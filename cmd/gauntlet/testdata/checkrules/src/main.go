package main

import "fmt"

func main() {
	fmt.Println("héllo")
	panic("TODO: finish")
	fmt.Println("kept") // gauntlet:ignore go-println
}

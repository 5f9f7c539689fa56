package main

import "fmt"

func main() {
	fmt.Println("hello")
	helper()
}

func helper() {
	fmt.Println("helper", 1)
	if true {
		fmt.Println()
	}
}

package generated

import "fmt"

func f() { fmt.Println("generated") }

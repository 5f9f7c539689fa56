package a

func f() {
	x := 
}

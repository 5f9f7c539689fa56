package a

// TODO: tidy this up // want "names no owner"
func f() {}

// TODO(ana): this one has an owner.
func g() {}

/* TODO() an empty owner is no owner */ // want "names no owner"
func h() {
	s := "TODO in a string is not a comment"
	_ = s // TODOS and MYTODO are other words
	// fix this TODO later // want "names no owner"
}

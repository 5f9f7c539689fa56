package calc

import (
	"errors"
	"fmt"
	"testing"
)

func TestAdd(t *testing.T) {
	if got := Add(2, 3); got != 5 {
		t.Errorf("Add(2, 3) = %d, want 5", got)
	}
}

func TestSub(t *testing.T) {
	if got := Sub(2, 3); got != -1 {
		t.Errorf("Sub(2, 3) = %d, want -1", got)
	}
}

func TestMulClamps(t *testing.T) {
	if got := Mul(Limit, 2); got != Limit {
		t.Errorf("Mul(Limit, 2) = %d, want %d", got, Limit)
	}
	if got := Mul(-Limit, 2); got != -Limit {
		t.Errorf("Mul(-Limit, 2) = %d, want %d", got, -Limit)
	}
}

func TestDiv(t *testing.T) {
	if got, err := Div(7, 2); got != 3 || err != nil {
		t.Errorf("Div(7, 2) = %d, %v; want 3, nil", got, err)
	}
	if _, err := Div(1, 0); !errors.Is(err, ErrDivByZero) {
		t.Errorf("Div(1, 0) error = %v, want ErrDivByZero", err)
	}
}

func ExampleAbs() {
	fmt.Println(Abs(-4), Abs(4))
	// Output: 4 4
}

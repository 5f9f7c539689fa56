// Package shapes is deliberately broken: `make demo` and the end-to-end tests
// show gauntlet finding these mistakes.
package shapes

type Rect struct{ W, H float64 }

func (r Rect) Area() float64 {
	return r.W * r.H
}

func (r Rect) Scale(f float64) Rect {
	return Rect{W: r.W * f, H: r.H * f
}

func Perimeter(r Rect) float64 {
	return 2 * (r.W + r.H)
}

"""Areas and perimeters: the code under test of the unittest example."""


def square_area(side):
    return side * side


def rect_area(w, h):
    if w < 0 or h < 0:
        raise ValueError("negative side")
    return w * h


def perimeter(*sides):
    return sum(sides)

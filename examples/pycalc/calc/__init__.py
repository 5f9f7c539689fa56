"""Integer arithmetic for the pytest example."""

LIMIT = 1000000


def clamp(value):
    if value > LIMIT:
        return LIMIT
    if value < -LIMIT:
        return -LIMIT
    return value


def add(a, b):
    return clamp(a + b)


def sub(a, b):
    return clamp(a - b)


def div(a, b):
    if b == 0:
        raise ZeroDivisionError("division by zero")
    return a // b

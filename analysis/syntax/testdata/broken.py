def f(x):
    return x

def g(:  # want "missing `\\)`"
    pass

class C:
    def m(self):
        return [1, 2  # want "missing|unexpected"

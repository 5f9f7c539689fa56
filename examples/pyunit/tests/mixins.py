class PerimeterChecks:
    """Tests every shape case inherits (not a TestCase itself)."""

    sides = ()

    def test_perimeter_positive(self):
        from shapes import perimeter

        self.assertGreater(perimeter(*self.sides), 0)

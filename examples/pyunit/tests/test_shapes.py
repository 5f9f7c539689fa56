import unittest

from shapes import rect_area, square_area
from tests.mixins import PerimeterChecks


class AreaChecks(unittest.TestCase):
    def test_square(self):
        self.assertEqual(square_area(3), 9)

    def test_rect(self):
        self.assertEqual(rect_area(2, 5), 10)

    def test_negative(self):
        with self.assertRaises(ValueError):
            rect_area(-1, 2)


class SquareCase(PerimeterChecks, unittest.TestCase):
    sides = (2, 2, 2, 2)


class TriangleCase(PerimeterChecks, unittest.TestCase):
    sides = (3, 4, 5)

    @unittest.skip("not yet")
    def test_right_angle(self):
        pass

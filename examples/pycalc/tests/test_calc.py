import pytest

from calc import add, div, sub, LIMIT


def test_add():
    assert add(2, 3) == 5


def test_sub():
    assert sub(2, 3) == -1


def test_clamp():
    assert add(LIMIT, 1) == LIMIT


class TestDiv:
    def test_div(self):
        assert div(7, 2) == 3

    def test_div_by_zero(self):
        with pytest.raises(ZeroDivisionError):
            div(1, 0)

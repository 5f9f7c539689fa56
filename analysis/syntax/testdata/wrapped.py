# tree-sitter wraps this whole file in one ERROR node: the error is reported
# where it was typed, not at the docstring.
"""A module docstring, the first token of the file."""
import re

NUMBER_RE = re.compile(r'(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?')


def scan(s, end):
    pairs = []
    while True:
        nextchar = s[end:end + 1]
        end += 1
        if nextchar == '}':
    def broken(:  # want "missing `\\)`"
            break
        elif nextchar != ',':
            raise ValueError("Expecting ',' delimiter")
        pairs.append(nextchar)
    return pairs


class Decoder(object):
    def __init__(self, strict=True):
        self.strict = strict

    def decode(self, s):
        return scan(s, 0)

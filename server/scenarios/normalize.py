"""Step text as authors type it, made comparable: full-width characters, quotes and spaces.

Chinese authors write ２０２５年、“审批巡查组名单”、「单县」 or "单县", with or without spaces around
numbers. `normalize` maps all of these to one form, and `step` is a pytest-bdd step parser that
normalises both its pattern and the step text before matching, so one pattern serves them all.
"""
import re
import unicodedata
from functools import lru_cache

import parse as parse_lib
from pytest_bdd.parsers import StepParser

from . import glossary

QUOTES = str.maketrans({c: '"' for c in "“”„‟「」『』〝〞＂‘’‚‛'"})
_ASCII_WORD = re.compile(r"[0-9A-Za-z_]")


@lru_cache(maxsize=8192)
def normalize(text):
    """NFKC (full-width digits, letters, colons, parentheses → ASCII), every quote → `"`,
    whitespace collapsed, and dropped unless it separates two ASCII words ("2025-10-24 00:00")."""
    text = unicodedata.normalize("NFKC", text).translate(QUOTES)
    parts = text.split('"')
    if len(parts) % 2 == 0:                 # unbalanced quotes: treat everything as outside
        return _spaces(text)
    return '"'.join(_spaces(p) if i % 2 == 0 else " ".join(p.split()) for i, p in enumerate(parts))


def _spaces(text):
    words = text.split()
    if not words:
        return ""
    out = [words[0]]
    for word in words[1:]:
        if _ASCII_WORD.match(out[-1][-1]) and _ASCII_WORD.match(word[0]):
            out.append(" ")
        out.append(word)
    return "".join(out)


class step(StepParser):
    """A `parse`-style pattern over the glossary's types, matched after normalisation.

    The pattern is compiled on first use, with the vocabulary of the bundle under test (task
    names come from the diagrams), and recompiled if the vocabulary is configured again.
    """

    def __init__(self, pattern):
        super().__init__(normalize(pattern))
        self.pattern = pattern
        self._compiled = (None, None)

    @property
    def parser(self):
        revision, compiled = self._compiled
        if compiled is None or revision != glossary.revision():
            compiled = parse_lib.compile(self.name, extra_types=glossary.parse_types(),
                                         case_sensitive=True)
            self._compiled = (glossary.revision(), compiled)
        return compiled

    def parse_arguments(self, name):
        found = self.parser.parse(normalize(name))
        return dict(found.named) if found else None

    def is_matching(self, name):
        try:
            return self.parser.parse(normalize(name)) is not None
        except ValueError:
            return False

    def __repr__(self):
        return f"step({self.pattern!r})"

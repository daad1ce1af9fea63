"""SOQL tokens: keywords, identifiers (with dotted paths), strings, numbers, date literals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class SoqlSyntaxError(ValueError):
    """The query is malformed; answered as 400 MALFORMED_QUERY."""


class Kind(StrEnum):
    WORD = "word"          # keywords, identifiers, field paths, date literals like TODAY
    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    DATE = "date"
    OP = "op"
    PUNCT = "punct"
    END = "end"


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str
    position: int

    def is_word(self, *words: str) -> bool:
        return self.kind is Kind.WORD and self.text.upper() in words


_PATTERNS = [
    (Kind.DATETIME, r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2})"),
    (Kind.DATE, r"\d{4}-\d{2}-\d{2}(?![\dT])"),
    (Kind.NUMBER, r"[+-]?\d+(?:\.\d+)?(?![\w-])"),
    (Kind.WORD, r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?::\d+)?"),
    (Kind.OP, r"!=|<>|<=|>=|=|<|>"),
    (Kind.PUNCT, r"[(),]"),
]
_MASTER = re.compile("|".join(f"(?P<{kind.name}>{pattern})" for kind, pattern in _PATTERNS))
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'",
            "\\": "\\", "%": "\\%", "_": "\\_"}


def _string(text: str, start: int) -> tuple[str, int]:
    out: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            if index + 1 >= len(text) or text[index + 1] not in _ESCAPES:
                raise SoqlSyntaxError(f"invalid escape at {index}")
            out.append(_ESCAPES[text[index + 1]])
            index += 2
            continue
        if char == "'":
            return "".join(out), index + 1
        out.append(char)
        index += 1
    raise SoqlSyntaxError("unterminated string literal")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        if text[index] == "'":
            value, end = _string(text, index)
            tokens.append(Token(Kind.STRING, value, index))
            index = end
            continue
        match = _MASTER.match(text, index)
        if match is None or match.lastgroup is None:
            raise SoqlSyntaxError(f"unexpected character {text[index]!r} at {index}")
        tokens.append(Token(Kind[match.lastgroup], match.group(), index))
        index = match.end()
    tokens.append(Token(Kind.END, "", len(text)))
    return tokens


__all__ = ["Kind", "SoqlSyntaxError", "Token", "tokenize"]

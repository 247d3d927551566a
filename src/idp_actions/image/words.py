"""Variable expansion and quote removal in Dockerfile words, as BuildKit's shell lexer does them.

Used for the instructions BuildKit expands (``FROM``, ``ARG``, ``ENV``, ``LABEL``,
``COPY``/``ADD``, ``WORKDIR``, ``USER``, ``EXPOSE``, ``VOLUME``, ``STOPSIGNAL``):
``$NAME``, ``${NAME}``, ``${NAME:-word}``, ``${NAME-word}``, ``${NAME:+word}``,
``${NAME+word}``, ``${NAME:?message}`` and ``${NAME?message}``; single quotes are
literal, double quotes allow expansion, the escape character (a backslash, or the one set
by ``# escape=``) makes the next character literal. Other ``${…}`` operators are
refused with a message rather than passed through wrongly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ExpansionError(ValueError):
    """A word could not be expanded (unterminated quote or brace, an unsupported operator, ``${X:?}``)."""


def expand(word: str, env: Mapping[str, str], *, escape: str = "\\") -> str:
    """``word`` with variables from ``env`` substituted and quotes removed."""
    return _Lexer(word, env, escape).word()


class _Lexer:
    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self.text = text
        self.env = env
        self.escape = escape
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def next(self) -> str:
        ch = self.peek()
        self.pos += 1
        return ch

    def word(self, stop: str = "") -> str:
        """Read up to the end (or an unquoted ``stop`` character, left unread)."""
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.peek()
            if stop and ch in stop:
                break
            self.pos += 1
            if ch == self.escape:
                if self.pos < len(self.text):
                    out.append(self.next())
                continue
            if ch == "'":
                out.append(self.single_quoted())
            elif ch == '"':
                out.append(self.double_quoted())
            elif ch == "$":
                out.append(self.dollar())
            else:
                out.append(ch)
        return "".join(out)

    def single_quoted(self) -> str:
        end = self.text.find("'", self.pos)
        if end < 0:
            raise ExpansionError("unexpected end of text: a single quote is not closed")
        value = self.text[self.pos : end]
        self.pos = end + 1
        return value

    def double_quoted(self) -> str:
        out: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise ExpansionError("unexpected end of text: a double quote is not closed")
            ch = self.next()
            if ch == '"':
                return "".join(out)
            if ch == self.escape and self.peek() in ('"', "$", self.escape):
                out.append(self.next())
            elif ch == "$":
                out.append(self.dollar())
            else:
                out.append(ch)

    def dollar(self) -> str:
        if self.peek() == "{":
            self.pos += 1
            return self.braced()
        found = _NAME.match(self.text, self.pos)
        if not found:
            return "$"  # a lone dollar stays as it is
        self.pos = found.end()
        return self.env.get(found.group(0), "")

    def braced(self) -> str:
        found = _NAME.match(self.text, self.pos)
        if not found:
            raise ExpansionError(f"bad substitution in {self.text!r}: a variable name must follow ${{")
        name = found.group(0)
        self.pos = found.end()
        ch = self.next()
        if ch == "}":
            return self.env.get(name, "")
        colon = ch == ":"
        if colon:
            ch = self.next()
        if ch not in ("-", "+", "?"):
            raise ExpansionError(
                f"unsupported substitution ${{{name}{':' if colon else ''}{ch}…}} in {self.text!r}: "
                "only ${NAME}, ${NAME:-default}, ${NAME:+alternative} and ${NAME:?message} are supported"
            )
        operand = self.word(stop="}")
        if self.next() != "}":
            raise ExpansionError(f"unterminated ${{{name}…}} in {self.text!r}")
        value = self.env.get(name)
        present = value is not None and (value != "" or not colon)
        if ch == "-":
            return value if present and value is not None else operand
        if ch == "+":
            return operand if present else ""
        if not present:
            raise ExpansionError(f"{name}: {operand or 'is not set'}")
        return value or ""

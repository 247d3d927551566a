"""BuildKit's ways of splitting a Dockerfile line into words, reproduced for conftest's input.

Three splitters with three sets of rules: the leading ``--flag`` words of an
instruction (``extractBuilderFlags``: quotes removed, no flag arguments after a
space), the words of ``ENV``/``LABEL``/``ARG`` (``parseWords``: quotes and escapes
kept), and the shell words heredoc markers are found in.
"""

from __future__ import annotations


def extract_flags(line: str) -> tuple[str, list[str]]:
    """BuildKit's ``extractBuilderFlags``: leading ``--flag[=value]`` words, and the rest of the line."""
    words: list[str] = []
    word = ""
    phase = "spaces"
    quote = ""
    blank_ok = False
    pos = 0
    n = len(line)
    while pos <= n:
        ch = line[pos] if pos < n else ""
        if phase == "spaces":
            if pos == n:
                break
            if ch.isspace():
                pos += 1
                continue
            if ch != "-" or pos + 1 == n or line[pos + 1] != "-":
                return line[pos:], words
            phase = "word"
        if phase in ("word", "quote") and pos == n:
            if word != "--" and (blank_ok or word):
                words.append(word)
            break
        if phase == "word":
            if ch.isspace():
                phase = "spaces"
                if word == "--":
                    return line[pos:], words
                if blank_ok or word:
                    words.append(word)
                word = ""
                blank_ok = False
                pos += 1
                continue
            if ch in ("'", '"'):
                quote = ch
                blank_ok = True
                phase = "quote"
                pos += 1
                continue
            if ch == "\\":
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word += ch
            pos += 1
            continue
        # in a quote
        if ch == quote:
            phase = "word"
            pos += 1
            continue
        if ch == "\\":
            if pos + 1 == n:
                phase = "word"
                pos += 1
                continue
            pos += 1
            ch = line[pos]
        word += ch
        pos += 1
    return "", words


def words(rest: str, escape: str) -> list[str]:
    """BuildKit's ``parseWords``: whitespace-separated words, quotes and escapes kept."""
    words: list[str] = []
    word = ""
    phase = "spaces"
    quote = ""
    blank_ok = False
    pos = 0
    n = len(rest)
    while pos <= n:
        ch = rest[pos] if pos < n else ""
        if phase == "spaces":
            if pos == n:
                break
            if ch.isspace():
                pos += 1
                continue
            phase = "word"
        if phase in ("word", "quote") and pos == n:
            if blank_ok or word:
                words.append(word)
            break
        if phase == "word":
            if ch.isspace():
                phase = "spaces"
                if blank_ok or word:
                    words.append(word)
                word = ""
                blank_ok = False
                pos += 1
                continue
            if ch in ("'", '"'):
                quote = ch
                blank_ok = True
                phase = "quote"
            if ch == escape:
                if pos + 1 == n:
                    pos += 1
                    continue
                word += ch
                pos += 1
                ch = rest[pos]
            word += ch
            pos += 1
            continue
        if ch == quote:
            phase = "word"
        if ch == escape and quote != "'":
            if pos + 1 == n:
                phase = "word"
                pos += 1
                continue
            pos += 1
            word += ch
            ch = rest[pos]
        word += ch
        pos += 1
    return words


def shell_words(line: str) -> list[str]:
    """Words of ``line`` split as a shell would, quotes and escapes kept (BuildKit's raw lexing)."""
    words: list[str] = []
    word = ""
    in_word = False
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            word += ch
            if ch == "\\" and quote == '"' and i + 1 < len(line):
                i += 1
                word += line[i]
            elif ch == quote:
                quote = ""
        elif ch.isspace():
            if in_word:
                words.append(word)
            word, in_word = "", False
        elif ch == "\\" and i + 1 < len(line):
            word += ch + line[i + 1]
            in_word = True
            i += 1
        else:
            if ch in ("'", '"'):
                quote = ch
            word += ch
            in_word = True
        i += 1
    if in_word:
        words.append(word)
    return words


def unquote(word: str) -> list[str]:
    """``word`` with shell quoting removed, as a list of the words it makes (normally one)."""
    out = ""
    quote = ""
    i = 0
    while i < len(word):
        ch = word[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and i + 1 < len(word) and word[i + 1] in '"\\$`':
                i += 1
                out += word[i]
            else:
                out += ch
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "\\" and i + 1 < len(word):
            i += 1
            out += word[i]
        elif ch.isspace():
            return [*([out] if out else []), *unquote(word[i + 1 :])]
        else:
            out += ch
        i += 1
    return [out]

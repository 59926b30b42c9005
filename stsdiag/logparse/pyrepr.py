"""A tolerant reader for the Python reprs botocore logs (`params` dicts, endpoint provider
parameters, header dicts). Never evaluates anything: a small hand-written tokenizer.

Handles Python 2 and 3 string prefixes (u'', b'', r''), escapes, True/False/None, numbers,
nested dicts/lists/tuples, and opaque objects (`<… object at 0x…>`, `Config(...)`), which
become `Opaque`. Truncated or folded input returns what could be read."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Opaque:
    text: str


_WS = re.compile(r"\s*")
_STR_START = re.compile(r"([uUbBrR]{0,2})(['\"])")
_NUM = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_WORD = re.compile(r"[A-Za-z_][\w.]*")
_ESC = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0"}
_HEX_ESC = {"x": 2, "u": 4, "U": 8}
MAX_DEPTH = 64


class _Reader:
    __slots__ = ("pos", "s")

    def __init__(self, s: str) -> None:
        self.s = s
        self.pos = 0

    def ws(self) -> None:
        self.pos = _WS.match(self.s, self.pos).end()  # type: ignore[union-attr]

    def peek(self) -> str:
        return self.s[self.pos] if self.pos < len(self.s) else ""

    def string(self, quote: str, raw: bool) -> str:
        s, i = self.s, self.pos
        end = s.find(quote, i)
        if end >= 0 and s.find("\\", i, end) < 0:  # the common case: no escapes
            self.pos = end + 1
            return s[i:end]
        out: list[str] = []
        n = len(s)
        while i < n:
            c = s[i]
            if c == quote:
                self.pos = i + 1
                return "".join(out)
            if c == "\\" and i + 1 < n:
                nxt = s[i + 1]
                if raw:
                    out.append(c + nxt)
                elif nxt in _HEX_ESC and i + 1 + _HEX_ESC[nxt] < n:
                    w = _HEX_ESC[nxt]  # \xHH, \uHHHH, \UHHHHHHHH
                    try:
                        out.append(chr(int(s[i + 2 : i + 2 + w], 16)))
                    except ValueError:
                        out.append(s[i : i + 2 + w])
                    i += 2 + w
                    continue
                else:
                    out.append(_ESC.get(nxt, "\\" + nxt))
                i += 2
                continue
            out.append(c)
            i += 1
        self.pos = n
        return "".join(out)

    def value(self, depth: int = 0) -> object:
        self.ws()
        c = self.peek()
        if not c or depth > MAX_DEPTH:
            return None
        if c == "{":
            return self.mapping(depth)
        if c in "[(":
            return self.sequence("]" if c == "[" else ")", depth)
        if c == "<":
            start = self.pos
            self.skip_balanced("<", ">")
            return Opaque(self.s[start : self.pos])
        m = _STR_START.match(self.s, self.pos)
        if m:
            self.pos = m.end()
            return self.string(m.group(2), "r" in m.group(1).lower())
        m = _NUM.match(self.s, self.pos)
        if m:
            self.pos = m.end()
            t = m.group(0)
            try:
                return float(t) if any(ch in t for ch in ".eE") else int(t)
            except ValueError:
                return t
        m = _WORD.match(self.s, self.pos)
        if m:
            self.pos = m.end()
            w = m.group(0)
            if w in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[w]
            self.ws()
            if self.peek() == "(":  # Config(...), OperationModel(name=X), datetime.datetime(...)
                start = self.pos
                self.skip_balanced("(", ")")
                return Opaque(w + self.s[start : self.pos])
            return Opaque(w)
        self.pos += 1  # unknown character: skip it
        return Opaque(c)

    def skip_balanced(self, open_: str, close: str) -> None:
        depth, s, i = 0, self.s, self.pos
        quote = ""
        while i < len(s):
            ch = s[i]
            if quote:
                if ch == "\\":
                    i += 2
                    continue
                if ch == quote:
                    quote = ""
            elif ch in "'\"":
                quote = ch
            elif ch == open_:
                depth += 1
            elif ch == close:
                depth -= 1
                if depth == 0:
                    self.pos = i + 1
                    return
            i += 1
        self.pos = len(s)

    def mapping(self, depth: int) -> dict[str, object]:
        out: dict[str, object] = {}
        self.pos += 1
        while True:
            self.ws()
            c = self.peek()
            if not c:
                return out
            if c == "}":
                self.pos += 1
                return out
            if c == ",":
                self.pos += 1
                continue
            key = self.value(depth + 1)
            self.ws()
            if self.peek() == ":":
                self.pos += 1
                val = self.value(depth + 1)
            else:
                val = None
            out[key if isinstance(key, str) else repr(key)] = val

    def sequence(self, close: str, depth: int) -> list[object]:
        out: list[object] = []
        self.pos += 1
        while True:
            self.ws()
            c = self.peek()
            if not c:
                return out
            if c == close:
                self.pos += 1
                return out
            if c == ",":
                self.pos += 1
                continue
            before = self.pos
            out.append(self.value(depth + 1))
            if self.pos == before:
                self.pos += 1


def parse(text: str, start: int = 0) -> object:
    """Parse the first Python literal at or after `start` (skipping to its first `{`/`[`)."""
    r = _Reader(text)
    r.pos = start
    return r.value()


def parse_dict_after(text: str, marker: str) -> dict[str, object]:
    i = text.find(marker)
    if i < 0:
        return {}
    j = text.find("{", i + len(marker))
    if j < 0:
        return {}
    v = parse(text, j)
    return v if isinstance(v, dict) else {}


def get(d: object, *path: str) -> object:
    for k in path:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def get_str(d: object, *path: str) -> str | None:
    v = get(d, *path)
    return v if isinstance(v, str) else None


def get_bool(d: object, *path: str) -> bool | None:
    v = get(d, *path)
    return v if isinstance(v, bool) else None

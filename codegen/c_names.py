"""Names from the ONNX file as they may appear in generated C.

ONNX names are arbitrary UTF-8: `*/`, quotes, backslashes, newlines, `??=` trigraphs,
non-ASCII letters, leading digits, C keywords. Whatever the model holds, the generated C
must compile, so every name reaches C through one of these:

- ``c_ident(name)``: an ASCII identifier fragment (letters, digits, '_'); callers prefix
  it (``S3_``, ``K7_``) so it never starts with a digit or equals a keyword, and the
  prefix's index keeps names distinct after sanitising.
- ``c_text(name)``: the name escaped for a C string literal, which is also safe inside a
  /* comment */: no quote, backslash, '?', newline or non-ASCII byte is left raw, and no
  '*' '/' pair can form (the string's bytes, decoded by the compiler, equal the name's
  UTF-8 bytes).
"""
from __future__ import annotations

_SAFE = frozenset(chr(c) for c in range(0x20, 0x7F)) - set('"\\?\'')


def c_ident(name: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else "_" for ch in name)


def c_text(name: str, limit: int | None = None) -> str:
    """NAME (its first LIMIT characters) as the body of a C string literal."""
    if limit is not None and len(name) > limit:
        name = name[:limit]
    data = name.encode("utf-8", "surrogatepass")
    out: list[str] = []
    for i, byte in enumerate(data):
        ch = chr(byte)
        prev = chr(data[i - 1]) if i else ""
        nxt = chr(data[i + 1]) if i + 1 < len(data) else ""
        comment_pair = (ch == "/" and "*" in (prev, nxt))
        if ch in _SAFE and not comment_pair:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")  # always 3 digits: a following digit is not absorbed
    return "".join(out)

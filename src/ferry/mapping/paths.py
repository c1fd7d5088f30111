"""Dotted field paths: `BillingAddress.City`, `transactioncurrencyid@odata.bind`, `` `odd.name`.x ``."""

from __future__ import annotations


class PathError(ValueError):
    """A target path cannot be read."""


def split_path(text: str) -> tuple[str, ...]:
    """The parts of a dotted path. A dot after an `@` stays in its part (OData annotations such as
    `@odata.bind` are names with dots); a part in backquotes may hold any character but a backquote."""
    parts: list[str] = []
    current: list[str] = []
    annotation = quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "`" and not current and not annotation:
            end = text.find("`", i + 1)
            if end < 0:
                raise PathError(f"unterminated `quoted` part in {text!r}")
            current.append(text[i + 1 : end])
            quoted = True
            i = end + 1
            if i < len(text) and text[i] != ".":
                raise PathError(f"expected '.' after the `quoted` part in {text!r}")
            continue
        if ch == "." and not annotation:
            parts.append(_part("".join(current), quoted, text))
            current, quoted = [], False
        else:
            annotation = annotation or ch == "@"
            current.append(ch)
        i += 1
    parts.append(_part("".join(current), quoted, text))
    return tuple(parts)


def _part(part: str, quoted: bool, text: str) -> str:
    if not part.strip() and not quoted:
        raise PathError(f"empty part in the path {text!r}")
    if part != part.strip() and not quoted:
        raise PathError(f"spaces around a part of the path {text!r}")
    return part


def join_path(parts: tuple[str, ...]) -> str:
    """The dotted form of `parts`, quoting a part only where a dot in it would otherwise split it."""
    out = []
    for part in parts:
        at, dot = part.find("@"), part.find(".")
        needs_quotes = dot >= 0 and not (0 <= at < dot)
        out.append(f"`{part}`" if needs_quotes or not part else part)
    return ".".join(out)

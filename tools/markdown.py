"""Reading a lesson's markdown cells the way a renderer does: headings and fenced blocks.

A `# comment` inside a ```` ```python ```` fence is code, not a heading, so every tool that looks
for headings or fences (slides, diagrams, the guide) goes through these two functions.
"""

import re
from dataclasses import dataclass

_FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<marker>`{3,}|~{3,})(?P<info>[^`]*)$")
_HEADING = re.compile(r"^ {0,3}(?P<hashes>#{1,6})[ \t]+(?P<text>.*?)(?:[ \t]+#+)?[ \t]*$")


@dataclass(frozen=True)
class Fence:
    """A fenced code block: `lines[start:end]` of the source is the whole block, fences included."""

    info: str
    start: int
    end: int
    body: str


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    line: int


def fences(source):
    """Every fenced block in `source`, in order. An unclosed fence runs to the end (CommonMark)."""
    lines = source.splitlines()
    found = []
    number = 0
    while number < len(lines):
        opening = _FENCE_OPEN.match(lines[number])
        if not opening:
            number += 1
            continue
        marker = opening["marker"]
        closing = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
        end = number + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        body = "\n".join(lines[number + 1 : end])
        found.append(Fence(opening["info"].strip(), number, min(end + 1, len(lines)), body))
        number = end + 1
    return found


def headings(source, deepest=6):
    """ATX headings (`## Title`) outside fenced blocks, down to level `deepest`."""
    inside = set()
    for fence in fences(source):
        inside.update(range(fence.start, fence.end))
    found = []
    for number, line in enumerate(source.splitlines()):
        match = _HEADING.match(line)
        if number not in inside and match and len(match["hashes"]) <= deepest:
            found.append(Heading(len(match["hashes"]), match["text"].strip(), number))
    return found


def plain(text):
    """Heading text as a reader sees it: no backticks, stars or link syntax."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[`*_]", "", text).strip()


def slug(text):
    """`Step 1: room names` -> `step-1-room-names`, for ids and anchors."""
    return re.sub(r"[^a-z0-9]+", "-", plain(text).lower()).strip("-")

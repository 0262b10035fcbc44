"""Showing project code in a lesson by reading the file itself, so the text can never drift.

    show_source("chat/consumers.py", "ChatConsumer.receive_json")
    show_file("chat/templates/chat/room.html", lines=(1, 20))

Paths are relative to course_project/ (or, failing that, to the repository root). Jupyter shows the
result syntax-highlighted with line numbers; its plain text (what nbval compares) is a one-line
header naming the file and lines, then the code exactly as it is in the file.
"""

import ast
import html
import inspect
from pathlib import Path

from IPython.display import Code

from workbook.paths import COURSE_PROJECT, REPO_ROOT

__all__ = ["show_file", "show_source"]

LANGUAGES = {
    ".py": "python",
    ".html": "html+django",
    ".txt": "text",
    ".js": "javascript",
    ".css": "css",
    ".json": "json",
    ".toml": "toml",
    ".cfg": "ini",
    ".ini": "ini",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".md": "markdown",
    ".sh": "bash",
    ".sql": "sql",
}
NAMED_FILES = {"Makefile": "make", "Dockerfile": "docker", "Procfile": "text"}


class SourceCode(Code):
    """Highlighted code from a file: `repr()` is the header line plus the code itself."""

    def __init__(self, code, *, path, start, end, language, name=None):
        self.path = path
        self.start = start
        self.end = end
        self.name = name
        super().__init__(data=code, language=language)

    @property
    def header(self):
        where = f"{self.path}, line {self.start}"
        if self.end != self.start:
            where = f"{self.path}, lines {self.start}-{self.end}"
        return f"# {where}: {self.name}" if self.name else f"# {where}"

    def __repr__(self):
        return f"{self.header}\n{self.data}"

    def _repr_html_(self):
        from pygments import highlight
        from pygments.formatters import HtmlFormatter

        # Inline styles: the colours survive any frontend and theme without a stylesheet.
        formatter = HtmlFormatter(noclasses=True, linenos="inline", linenostart=self.start)
        caption = f"<div style='font-family:monospace;opacity:0.7'>{html.escape(self.header)}</div>"
        return caption + highlight(self.data, self._get_lexer(), formatter)


def resolve(path):
    """The file for `path` (course_project/ first, then the repository) and how to name it."""
    path = Path(path)
    if path.is_absolute():
        return path, str(path)
    for root in (COURSE_PROJECT, REPO_ROOT):
        candidate = root / path
        if candidate.is_file():
            return candidate, path.as_posix()
    raise FileNotFoundError(
        f"no file {path.as_posix()!r} in course_project/ or in the repository root "
        f"(looked for {COURSE_PROJECT / path} and {REPO_ROOT / path})"
    )


def language_for(path):
    path = Path(path)
    return NAMED_FILES.get(path.name) or LANGUAGES.get(path.suffix.lower(), "text")


def _definitions(body):
    """Top-level names of a module or class body: classes, functions and assignments."""
    for node in body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    yield target.id, node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            yield node.target.id, node


def find_definition(tree, qualified_name, path="the file"):
    """The AST node for "Class", "function", "Class.method" or "NAME" in `tree`."""
    body = tree.body
    node = None
    walked = []
    for part in qualified_name.split("."):
        found = dict(_definitions(body))
        if part not in found:
            where = ".".join(walked) or path
            raise LookupError(
                f"no class, function or assignment named {part!r} in {where}; "
                f"it defines: {', '.join(found) or 'nothing'}"
            )
        node = found[part]
        walked.append(part)
        body = getattr(node, "body", [])
    return node


def line_range(node):
    """First and last line of a definition, decorators included."""
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno, *(decorator.lineno for decorator in decorators)])
    return start, node.end_lineno


def show_source(path, name=None):
    """The source of `name` ("Class", "Class.method", "function", "CONSTANT") in `path`,
    or the whole file when `name` is None. A class or function object works as `path` too.
    """
    if not isinstance(path, str | Path):
        return show_source(*_file_and_name(path))
    file, shown_path = resolve(path)
    text = file.read_text(encoding="utf-8")
    if name is None:
        return _whole_file(text, shown_path, language_for(file))
    node = find_definition(ast.parse(text, filename=str(file)), name, shown_path)
    start, end = line_range(node)
    code = "\n".join(text.splitlines()[start - 1 : end])
    return SourceCode(code, path=shown_path, start=start, end=end, language="python", name=name)


def _file_and_name(obj):
    obj = inspect.unwrap(obj)
    try:
        file = Path(inspect.getsourcefile(obj))
    except TypeError:
        raise TypeError(
            f"cannot find the file of {obj!r}; pass a path and a name instead"
        ) from None
    for root in (COURSE_PROJECT, REPO_ROOT):
        if file.is_relative_to(root):
            return file.relative_to(root).as_posix(), obj.__qualname__
    return str(file), obj.__qualname__


def _whole_file(text, shown_path, language):
    lines = text.splitlines()
    return SourceCode("\n".join(lines), path=shown_path, start=1, end=len(lines), language=language)


def show_file(path, lines=None, language=None):
    """A file (template, script, settings...) or `lines=(first, last)` of it, highlighted.

    `first` and `last` are line numbers, or text: the first line containing it (for `last`, at
    or after `first`), so a lesson keeps showing the right lines when the file above them grows.
    The language is guessed from the extension unless given (a Pygments lexer name).
    """
    file, shown_path = resolve(path)
    text = file.read_text(encoding="utf-8")
    language = language or language_for(file)
    if lines is None:
        return _whole_file(text, shown_path, language)
    all_lines = text.splitlines()
    if isinstance(lines, range):
        lines = (lines.start, lines.stop - 1)
    start = _line_number(all_lines, lines[0], 1, shown_path)
    end = _line_number(all_lines, lines[1], start, shown_path)
    end = min(end, len(all_lines))
    if not 1 <= start <= end:
        raise ValueError(
            f"lines must be (first, last) with 1 <= first <= last; {shown_path} has "
            f"{len(all_lines)} lines, got {lines!r}"
        )
    code = "\n".join(all_lines[start - 1 : end])
    return SourceCode(code, path=shown_path, start=start, end=end, language=language)


def _line_number(all_lines, marker, after, shown_path):
    """`marker` itself if it is a number, else the number of the first line containing it."""
    if isinstance(marker, int):
        return marker
    for number in range(after, len(all_lines) + 1):
        if marker in all_lines[number - 1]:
            return number
    raise ValueError(f"no line of {shown_path} from line {after} on contains {marker!r}")

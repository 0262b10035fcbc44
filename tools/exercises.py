"""Generate exercises/NN-slug.ipynb from solutions/NN-slug.ipynb.

    python -m tools.exercises          write every exercise from its solution
    python -m tools.exercises --check  exit 1 if regenerating would change anything (tested)

In a solution, the code a learner must write sits between marker lines:

        # BEGIN SOLUTION: send the same text back with self.send(text_data=...)
        await self.send(text_data=text_data)
        # END SOLUTION

In the exercise the block becomes a stub, indented the same, that raises with the hint:

        raise NotImplementedError("send the same text back with self.send(text_data=...)")

For a "fix this code" task the stub can be given instead: `# STUB: <code>` lines at the end of
the block become that code (at the block's indentation, after the hint as a comment), e.g.

        # BEGIN SOLUTION: this sync ORM call raises SynchronousOnlyOperation; make it async
        count = await Message.objects.acount()
        # STUB: count = Message.objects.count()
        # END SOLUTION

becomes

        # this sync ORM call raises SynchronousOnlyOperation; make it async
        count = Message.objects.count()

Outputs and execution counts are cleared. Exercises are never edited by hand.
"""

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION(?::\s*(?P<hint>.*\S))?\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
STUB = re.compile(r"^\s*# STUB:(?: (?P<code>.*))?$")
CHECK_TAG = "workbook-check"
LINE_LENGTH = 100  # ruff's line-length (pyproject.toml): exercises are linted and format-checked


class MarkerError(ValueError):
    pass


def raise_stub(indent, hint):
    """`raise NotImplementedError("hint")` as `ruff format` writes it: double quotes where the
    hint has none, and split over three lines when one would be too long."""
    literal = repr(hint)
    if '"' not in hint and "'" not in hint:
        literal = f'"{literal[1:-1]}"'
    line = f"{indent}raise NotImplementedError({literal})"
    if len(line) <= LINE_LENGTH:
        return [line]
    return [f"{indent}raise NotImplementedError(", f"{indent}    {literal}", f"{indent})"]


def stub_source(source, where="cell"):
    """The cell's source with every solution block replaced by its stub."""
    out = []
    block = None
    stub = []
    for number, line in enumerate(source.splitlines(), 1):
        if block is None:
            match = BEGIN.match(line)
            if match:
                block = match
                stub = []
                continue
            if END.match(line):
                raise MarkerError(f"{where}, line {number}: END SOLUTION without BEGIN")
            if STUB.match(line):
                raise MarkerError(f"{where}, line {number}: STUB outside a SOLUTION block")
            out.append(line)
        elif END.match(line):
            indent = block["indent"]
            if stub:
                if block["hint"]:
                    out.append(f"{indent}# {block['hint']}")
                out.extend(f"{indent}{code}".rstrip() for code in stub)
            else:
                hint = block["hint"] or "write this part"
                out.extend(raise_stub(indent, hint))
            block = None
        elif BEGIN.match(line):
            raise MarkerError(f"{where}, line {number}: BEGIN SOLUTION inside another block")
        elif STUB.match(line):
            stub.append(STUB.match(line)["code"] or "")
        elif stub:
            raise MarkerError(f"{where}, line {number}: solution code after a STUB line")
    if block is not None:
        raise MarkerError(f"{where}: BEGIN SOLUTION without END")
    return "\n".join(out)


def has_solution(source):
    return any(BEGIN.match(line) for line in source.splitlines())


def exercise_from(solution_path):
    notebook = nbformat.read(solution_path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        cell.source = stub_source(cell.source, where=f"{solution_path.name} cell {index}")
        cell.outputs = []
        cell.execution_count = None
    return notebook


def check_cells(notebook):
    """Indices of the cells tagged as checks."""
    return [
        index
        for index, cell in enumerate(notebook.cells)
        if CHECK_TAG in cell.get("metadata", {}).get("tags", [])
    ]


def solutions():
    return sorted(SOLUTIONS.glob("[0-9][0-9]-*.ipynb"))


def planned():
    return {
        EXERCISES / path.name: nbformat.writes(exercise_from(path), version=4) + "\n"
        for path in solutions()
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description="Generate exercises from solutions.")
    parser.add_argument("--check", action="store_true", help="report stale files, change nothing")
    args = parser.parse_args(argv)
    try:
        files = planned()
    except MarkerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stale = [path for path, text in files.items() if not path.exists() or path.read_text() != text]
    orphans = [path for path in EXERCISES.glob("[0-9][0-9]-*.ipynb") if path not in files]
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)}; run `make exercises`", file=sys.stderr)
        for path in orphans:
            print(f"no solution for {path.relative_to(ROOT)}", file=sys.stderr)
        return 1 if stale or orphans else 0
    for path in stale:
        path.write_text(files[path])
        print(f"wrote {path.relative_to(ROOT)}")
    for path in orphans:
        print(f"warning: {path.relative_to(ROOT)} has no solution; remove it", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

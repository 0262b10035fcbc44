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

Cells keep their ids from the solution, so the grader can find each task in a student's copy:

- a cell holding a solution block is a task cell, tagged `workbook-task` in the exercise: the only
  cells the grader takes from a submission;
- a cell tagged `workbook-check` holds checks (`with check(...)`); `workbook-hidden` as well makes
  it a hidden check, left out of the exercise and run only when grading (`hidden=True`);
- every other code cell and every check cell carries nbgrader's metadata (locked; checks are
  grade cells with their points), so a JupyterHub running nbgrader can autograde the exercise,
  and JupyterLab shows those cells read-only.
"""

import argparse
import ast
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
TASK_TAG = "workbook-task"
HIDDEN_TAG = "workbook-hidden"
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


def pass_stub(indent, hint):
    """The learner who deletes the raise and writes nothing: every check must still fail."""
    return [f"{indent}pass"]


def stub_source(source, where="cell", stub=raise_stub):
    """The cell's source with every solution block replaced by its stub (`stub(indent, hint)`
    gives its lines; a block with STUB lines becomes that code instead)."""
    out = []
    block = None
    given = []  # the block's STUB lines
    for number, line in enumerate(source.splitlines(), 1):
        if block is None:
            match = BEGIN.match(line)
            if match:
                block = match
                given = []
                continue
            if END.match(line):
                raise MarkerError(f"{where}, line {number}: END SOLUTION without BEGIN")
            if STUB.match(line):
                raise MarkerError(f"{where}, line {number}: STUB outside a SOLUTION block")
            out.append(line)
        elif END.match(line):
            indent = block["indent"]
            if given:
                if block["hint"]:
                    out.append(f"{indent}# {block['hint']}")
                out.extend(f"{indent}{code}".rstrip() for code in given)
            else:
                hint = block["hint"] or "write this part"
                out.extend(stub(indent, hint))
            block = None
        elif BEGIN.match(line):
            raise MarkerError(f"{where}, line {number}: BEGIN SOLUTION inside another block")
        elif STUB.match(line):
            given.append(STUB.match(line)["code"] or "")
        elif given:
            raise MarkerError(f"{where}, line {number}: solution code after a STUB line")
    if block is not None:
        raise MarkerError(f"{where}: BEGIN SOLUTION without END")
    return "\n".join(out)


def has_solution(source):
    return any(BEGIN.match(line) for line in source.splitlines())


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def checks_in(source, where="cell"):
    """[(name, points)] of the `check(...)` calls in a check cell's source, in order.

    Names and points must be literals: the grader lists an exercise's checks (and the points a
    student can earn) from the instructor's copy, without running it.
    """
    found = []
    calls = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check"
    ]
    for node in sorted(calls, key=lambda node: (node.lineno, node.col_offset)):
        name = node.args[0] if node.args else None
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
            raise MarkerError(f"{where}, line {node.lineno}: a check's name must be a literal")
        points = 1
        for keyword in node.keywords:
            if keyword.arg == "points":
                value = keyword.value
                if not (isinstance(value, ast.Constant) and isinstance(value.value, int | float)):
                    raise MarkerError(f"{where}, line {node.lineno}: points must be a number")
                points = value.value
        found.append((name.value, points))
    return found


def nbgrader_metadata(cell, points=None):
    """nbgrader's schema-3 cell metadata: a locked cell, or a grade cell worth `points`."""
    metadata = {
        "grade": points is not None,
        "grade_id": cell.id,
        "locked": True,
        "schema_version": 3,
        "solution": False,
    }
    if points is not None:
        metadata["points"] = points
    return metadata


def exercise_from(solution_path, hidden=False, stub=raise_stub):
    """The exercise for a learner; with `hidden=True` the grader's copy, hidden checks kept."""
    notebook = nbformat.read(solution_path, as_version=4)
    kept = []
    for index, cell in enumerate(notebook.cells):
        if HIDDEN_TAG in tags(cell) and not hidden:
            continue
        kept.append(cell)
        if cell.cell_type != "code":
            continue
        where = f"{solution_path.name} cell {index}"
        # An exercise read back (the learner's own copy, when solutions/ is not handed out) keeps
        # its tags: its stubs carry no markers any more.
        task = has_solution(cell.source) or TASK_TAG in tags(cell)
        cell.source = stub_source(cell.source, where=where, stub=stub)
        cell.outputs = []
        cell.execution_count = None
        if task:
            cell.metadata["tags"] = [*(tag for tag in tags(cell) if tag != TASK_TAG), TASK_TAG]
            continue
        points = None
        if CHECK_TAG in tags(cell):
            points = sum(points for _, points in checks_in(cell.source, where))
        # Read-only in JupyterLab: the grader runs its own copy of these cells, never the learner's.
        cell.metadata["editable"] = False
        cell.metadata["deletable"] = False
        cell.metadata["nbgrader"] = nbgrader_metadata(cell, points)
    notebook.cells = kept
    return notebook


def check_cells(notebook):
    """Indices of the cells tagged as checks."""
    return [index for index, cell in enumerate(notebook.cells) if CHECK_TAG in tags(cell)]


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

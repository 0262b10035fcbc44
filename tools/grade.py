"""Run exercise notebooks and report their checks: for a learner, or for a whole class.

    python -m tools.grade check            every exercise in exercises/
    python -m tools.grade check 05         only exercises/05-*.ipynb
    python -m tools.grade grade DIR        DIR/<student>/NN-*.ipynb for every student; writes
                                           grades.csv and grades.md (to --out, default grades/)

A check is a code cell tagged `workbook-check`; it passes when it runs without an error. Each
notebook runs in a fresh kernel with a per-cell timeout, so a notebook that hangs or kills its
kernel costs its owner that exercise only, never the run.
"""

import argparse
import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from tools.exercises import EXERCISES, ROOT, check_cells

CELL_TIMEOUT = 60  # seconds; a check waits a few seconds at most, so this only stops a hang


@dataclass
class CheckResult:
    cell: int
    passed: bool
    message: str = ""

    @property
    def hint(self):
        """Which check failed (its "✗ name" line) and its "Hint:" line, else its first line."""
        lines = [line.strip() for line in self.message.splitlines() if line.strip()]
        names = [line.split("✗", 1)[1].strip() for line in lines if "✗" in line]
        hints = [line for line in lines if line.startswith("Hint:")]
        if names and hints:
            return f"{names[0]}: {hints[0]}"
        return (hints or lines or [""])[0]


@dataclass
class ExerciseResult:
    name: str
    checks: list = field(default_factory=list)
    error: str = ""

    @property
    def passed(self):
        return sum(result.passed for result in self.checks)

    @property
    def total(self):
        return len(self.checks)

    @property
    def first_failure(self):
        if self.error:
            return self.error
        failed = [result for result in self.checks if not result.passed]
        return failed[0].hint if failed else ""


def error_message(cell):
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}"
    return None


def run_notebook(path, timeout=CELL_TIMEOUT):
    """Execute the notebook in a fresh kernel; return an ExerciseResult for its check cells."""
    notebook = nbformat.read(path, as_version=4)
    cells = check_cells(notebook)
    result = ExerciseResult(path.name)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        allow_errors=True,
        interrupt_on_timeout=True,  # a hanging cell fails; the rest still run
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except DeadKernelError:
        result.error = "the kernel died (a crash or running out of memory); checks after it fail"
    except Exception as error:  # a broken notebook file must not stop a class's grading
        result.error = f"could not run: {type(error).__name__}: {error}"
    for index in cells:
        cell = notebook.cells[index]
        message = error_message(cell)
        ran = cell.get("execution_count") is not None
        if message is None and ran:
            result.checks.append(CheckResult(index, True))
        else:
            result.checks.append(CheckResult(index, False, message or result.error or "not run"))
    return result


def table(rows, headers):
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells):
        return " | ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True))

    out = [line(headers), "-|-".join("-" * width for width in widths)]
    out += [line(row) for row in rows]
    return "\n".join(out)


def shorten(text, limit=90):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check(selection):
    paths = sorted(EXERCISES.glob(f"{selection or ''}*.ipynb"))
    paths = [p for p in paths if p.name[:2].isdigit()]
    if not paths:
        print(f"error: no exercise matches {selection!r} in exercises/", file=sys.stderr)
        return 2
    results = []
    for path in paths:
        print(f"running {path.name} ...", file=sys.stderr, flush=True)
        results.append(run_notebook(path))
    rows = [
        (r.name, f"{r.passed}/{r.total}", shorten(r.first_failure) or "all passed") for r in results
    ]
    print(table(rows, ("exercise", "checks passed", "first thing to fix")))
    return 0 if all(r.passed == r.total and not r.error for r in results) else 1


def grade(folder, out):
    folder = Path(folder)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder of student folders", file=sys.stderr)
        return 2
    students = sorted(p for p in folder.iterdir() if p.is_dir())
    if not students:
        print(f"error: {folder} has no student folders", file=sys.stderr)
        return 2
    exercises = sorted(p.name for p in EXERCISES.glob("[0-9][0-9]-*.ipynb"))
    rows = []
    for student in students:
        for name in exercises:
            path = student / name
            if path.exists():
                print(f"grading {student.name}/{name} ...", file=sys.stderr, flush=True)
                result = run_notebook(path)
                rows.append((student.name, name, result.passed, result.total, result.first_failure))
            else:
                rows.append((student.name, name, 0, "", "not submitted"))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "grades.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "exercise", "passed", "total", "first_failure"])
        writer.writerows(rows)
    summary = table(
        [(s, e, f"{p}/{t}" if t != "" else "-", shorten(f)) for s, e, p, t, f in rows],
        ("student", "exercise", "checks passed", "first thing to fix"),
    )
    (out / "grades.md").write_text(f"# Grades\n\n```\n{summary}\n```\n")
    print(summary)
    print(f"\nwrote {out / 'grades.csv'} and {out / 'grades.md'}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run exercise checks.")
    commands = parser.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser("check", help="run your exercises and show a table")
    check_parser.add_argument("exercise", nargs="?", default="", help="number, e.g. 05")
    grade_parser = commands.add_parser("grade", help="grade a folder of student folders")
    grade_parser.add_argument("folder", help="one sub-folder per student")
    grade_parser.add_argument("--out", default=str(ROOT / "grades"), help="where to write")
    args = parser.parse_args(argv)
    if args.command == "check":
        return check(args.exercise)
    return grade(args.folder, args.out)


if __name__ == "__main__":
    sys.exit(main())

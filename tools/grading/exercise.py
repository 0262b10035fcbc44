"""The instructor's side of an exercise: the copy that is run, its tasks and its checks.

Everything that decides a grade comes from here, never from a student's file: the cells and their
order, the checks with their names and points, and which cells are the student's to write.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from tools import exercises

TASK_HEADING = re.compile(r"^#+\s*(?P<title>Task\s+(?P<number>\d+)\b.*?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Check:
    name: str
    points: float
    cell: str  # the id of the check cell
    section: str  # "task 2", from the markdown heading above the cell
    hidden: bool


@dataclass
class Exercise:
    name: str  # "02-first-consumer"
    title: str  # "Exercise 02 · Your first consumer"
    notebook: object  # the nbformat notebook that grading runs
    tasks: list[str]  # ids of the cells a student writes in, in order
    checks: list[Check]
    sections: dict[str, str] = field(default_factory=dict)  # cell id -> "task 2" or "setup"
    headings: dict[str, str] = field(default_factory=dict)  # "task 2" -> "Task 2 · Converters..."

    @property
    def filename(self):
        return f"{self.name}.ipynb"

    @property
    def number(self):
        return self.name[:2]

    @property
    def points(self):
        return sum(check.points for check in self.checks)

    def section_of(self, index):
        return self.sections.get(self.notebook.cells[index].id, "setup")


def load(path, hidden=True):
    """The grading copy of the exercise whose solution (or, failing that, exercise) is `path`.

    `hidden=False` leaves hidden checks out: what a learner checking their own work runs.
    """
    path = Path(path)
    notebook = exercises.exercise_from(path, hidden=hidden)
    title = next(
        (
            cell.source.splitlines()[0].lstrip("# ").strip()
            for cell in notebook.cells
            if cell.cell_type == "markdown" and cell.source.startswith("# ")
        ),
        path.stem,
    )
    sections, headings, tasks, checks = {}, {}, [], []
    section = "setup"
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            heading = TASK_HEADING.search(cell.source)
            if heading:
                section = f"task {int(heading['number'])}"
                headings[section] = heading["title"]
        sections[cell.id] = section
        cell_tags = exercises.tags(cell)
        if exercises.TASK_TAG in cell_tags:
            tasks.append(cell.id)
        if exercises.CHECK_TAG in cell_tags:
            where = f"{path.name} cell {index}"
            for name, points in exercises.checks_in(cell.source, where):
                hidden_check = exercises.HIDDEN_TAG in cell_tags
                checks.append(Check(name, points, cell.id, section, hidden_check))
    return Exercise(path.stem, title, notebook, tasks, checks, sections, headings)


def catalogue(folder, hidden=True):
    """Every exercise in `folder` (solutions/, or exercises/ when no solutions are at hand)."""
    return [load(path, hidden) for path in sorted(Path(folder).glob("[0-9][0-9]-*.ipynb"))]

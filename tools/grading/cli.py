"""The command line: `make check` and `make grade` call this.

python -m tools.grading check [EX ...]        your exercises, check by check (EX: 5, 05, 5,7)
python -m tools.grading grade DIR [--out grades] [--roster FILE] [--jobs N] [--resume]
python -m tools.grading report OUT [--roster FILE]   rebuild gradebook and feedback from
                                                     OUT/results (after merging CI shards)
"""

import argparse
import sys

from tools.exercises import SOLUTIONS, MarkerError
from tools.grading import classlist, exercise, grader, learner, runner


class _Parser(argparse.ArgumentParser):
    """A wrong argument gets one line, not a usage screen."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0: {text!r}")
        return value

    return parse


def _shard(text):
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"write K/N, such as 2/4, not {text!r}") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"K must be between 1 and N in K/N, not {text!r}")
    return k, n


def _limits(parser):
    defaults = runner.Limits()
    parser.add_argument(
        "--jobs",
        type=_positive(int),
        default=0,
        help=f"notebooks run side by side (default: {grader.JOBS_PER_CORE} per core, as many as "
        "fit in the free memory at the memory limit each)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=_positive(float),
        default=defaults.cell,
        metavar="SECONDS",
        help=f"time limit per cell (default {defaults.cell:g})",
    )
    parser.add_argument(
        "--notebook-timeout",
        type=_positive(float),
        default=defaults.notebook,
        metavar="SECONDS",
        help=f"time limit per notebook (default {defaults.notebook:g})",
    )
    parser.add_argument(
        "--memory",
        type=_positive(int),
        default=defaults.memory_mb,
        metavar="MB",
        help=f"memory limit per notebook (default {defaults.memory_mb})",
    )
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="do not use bwrap even where it works (each notebook still gets its own process "
        "group, folder and limits)",
    )


def _options(args):
    limits = runner.Limits(
        cell=args.cell_timeout, notebook=args.notebook_timeout, memory_mb=args.memory
    )
    return grader.Options(
        limits=limits,
        jobs=args.jobs,
        resume=getattr(args, "resume", False),
        use_sandbox=not args.no_sandbox,
        shard=getattr(args, "shard", (1, 1)),
    )


def parser():
    main = _Parser(prog="python -m tools.grading", description="Run and grade exercise checks.")
    commands = main.add_subparsers(dest="command", required=True, parser_class=_Parser)
    check = commands.add_parser("check", help="run your exercises and show every check")
    check.add_argument("exercise", nargs="*", help="numbers or names: 5, 05, 05-chat-rooms, 5,7")
    check.add_argument("--due", metavar="FILE", help="check the exercises this file lists")
    check.add_argument("--strict", action="store_true", help="exit 1 when a check fails (CI)")
    check.add_argument("--summary", metavar="FILE", help="append the feedback as Markdown here")
    check.add_argument(
        "--classroom", metavar="FILE", help="write the points for GitHub Classroom's reporter here"
    )
    _limits(check)
    grade = commands.add_parser("grade", help="grade a folder of student folders")
    grade.add_argument("folder", help="one sub-folder per student")
    grade.add_argument("--out", default="grades", help="where to write (default grades/)")
    grade.add_argument("--roster", metavar="FILE", help="logins, one a line, or a roster CSV")
    grade.add_argument("--resume", action="store_true", help="keep results already saved")
    grade.add_argument(
        "--shard",
        type=_shard,
        default=(1, 1),
        metavar="K/N",
        help="grade only the K-th of N slices of the class (a CI job matrix)",
    )
    grade.add_argument("--exercises", nargs="+", metavar="EX", help="only these exercises")
    grade.add_argument("--solutions", default=str(SOLUTIONS), help=argparse.SUPPRESS)
    _limits(grade)
    report = commands.add_parser("report", help="rebuild gradebook and feedback from results")
    report.add_argument("out", help="a folder holding results/ (from one or more grade runs)")
    report.add_argument("--roster", metavar="FILE")
    report.add_argument("--solutions", default=str(SOLUTIONS), help=argparse.SUPPRESS)
    return main


def _exercises(args):
    catalogue = exercise.catalogue(args.solutions, hidden=True)
    if not catalogue:
        raise grader.GradingError(f"no solutions in {args.solutions}: grading needs them")
    if getattr(args, "exercises", None):
        names = learner.select(args.exercises, [e.name for e in catalogue])
        catalogue = [e for e in catalogue if e.name in names]
    return catalogue


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        if args.command == "check":
            return learner.check(
                args.exercise, _options(args), args.due, args.strict, args.summary, args.classroom
            )
        roster = classlist.read_roster(args.roster) if args.roster else None
        exercises = _exercises(args)
        if args.command == "report":
            grader.report(args.out, exercises, roster)
            print(f"wrote the gradebook and feedback in {args.out}")
            return 0
        students, results = grader.grade_class(
            args.folder, args.out, exercises, roster, _options(args), grader.progress_line
        )
        print(open_grades(args.out, students, results))
        return 0
    except (
        learner.Unknown,
        classlist.RosterError,
        grader.GradingError,
        MarkerError,
        OSError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stopped; run again with --resume to go on where it stopped", file=sys.stderr)
        return 130


def open_grades(out, students, results):
    graded = sum(1 for r in results.values() if r.status == "graded")
    return (
        f"graded {graded} notebooks of {len(students)} students: see {out}/grades.md, "
        f"{out}/grades.csv, {out}/checks.csv and {out}/feedback/"
    )

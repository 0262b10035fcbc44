"""Checking exercises: a learner's own (`make check`) and a whole class's (`make grade`).

The modules, one job each:

    exercise     the instructor's copy of an exercise: cells, tasks, checks and their points
    submission   a student's file read as untrusted input; the notebook that grading runs
    sandbox      bubblewrap around each run, where it works
    runner       one run: private folder, own process group, time, memory and process limits
    worker       runs inside the sandbox: executes the notebook, reports each cell
    results      what the run means: every check passed or failed, and why
    classlist    the students, their folders and notebooks, and the roster
    grader       a whole class side by side, saved as it goes (--resume)
    gradebook    grades.csv, checks.csv, grades.md
    feedback     one Markdown and one HTML file per student
    learner      `make check`
    cli          the command line: python -m tools.grading check|grade|report
"""

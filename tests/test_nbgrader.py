"""A JupyterHub running nbgrader can autograde the generated exercises with nbgrader's own tools.

nbgrader is heavy (JupyterLab, Notebook, SQLAlchemy, Alembic), so it lives in a venv of its own:
`make test-nbgrader` creates .venv-nbgrader and runs this file. Exercise 02 becomes an nbgrader
assignment; two students hand it in, one with the tasks written and a check cell "fixed" to do
nothing, one untouched; nbgrader's autograde runs them in a kernel of the course's venv.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import exercises

pytestmark = pytest.mark.nbgrader

NBGRADER = str(
    Path(
        os.environ.get("NBGRADER", exercises.ROOT / ".venv-nbgrader" / "bin" / "nbgrader")
    ).absolute()
)
EXERCISE = "02-first-consumer"
CONFIG = """c = get_config()
c.CourseDirectory.course_id = "workbook"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
c.Execute.timeout = 120
"""


@pytest.fixture(scope="module")
def nbgrader():
    if not Path(NBGRADER).exists():
        message = f"nbgrader not found at {NBGRADER}: make test-nbgrader installs it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return NBGRADER


def run(nbgrader, course, *args):
    # nbgrader's kernel must be the course's Python (Django, Channels, the workbook), not its own:
    # a "python3" kernelspec on JUPYTER_PATH takes the place of its venv's native one.
    spec = course / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"})
    )
    # nbgrader runs its venv's `alembic` by name.
    path = os.pathsep.join([str(Path(nbgrader).parent), os.environ["PATH"]])
    env = dict(os.environ, JUPYTER_PATH=str(course / "jupyter"), PATH=path)
    done = subprocess.run(
        [nbgrader, *args], cwd=course, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def scores(nbgrader, course):
    python = Path(nbgrader).parent / "python"
    code = (
        "import json; from nbgrader.api import Gradebook\n"
        "with Gradebook('sqlite:///gradebook.db') as gb:\n"
        "    print(json.dumps({s: gb.find_submission('ex02', s).score for s in ('ada', 'bob')}))"
    )
    done = subprocess.run(
        [python, "-c", code], cwd=course, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout)


def test_nbgrader_autogrades_an_exercise_and_restores_its_checks(nbgrader, tmp_path):
    course = tmp_path / "course"
    (course / "source" / "ex02").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(CONFIG)
    shutil.copy(exercises.EXERCISES / f"{EXERCISE}.ipynb", course / "source" / "ex02")
    run(nbgrader, course, "generate_assignment", "ex02", "--force")
    released = nbformat.read(course / "release" / "ex02" / f"{EXERCISE}.ipynb", as_version=4)
    solution = nbformat.read(exercises.SOLUTIONS / f"{EXERCISE}.ipynb", as_version=4)
    answers = {cell.id: cell.source for cell in solution.cells}

    written = nbformat.from_dict(json.loads(nbformat.writes(released)))
    for cell in written.cells:
        if exercises.TASK_TAG in exercises.tags(cell):
            cell.source = answers[cell.id]
        elif exercises.CHECK_TAG in exercises.tags(cell):
            cell.source = "pass  # a student 'fixing' a check"
    for student, notebook in (("ada", written), ("bob", released)):
        folder = course / "submitted" / student / "ex02"
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{EXERCISE}.ipynb")
    run(nbgrader, course, "autograde", "ex02", "--force")
    possible = sum(
        points
        for cell in released.cells
        if exercises.CHECK_TAG in exercises.tags(cell)
        for _, points in exercises.checks_in(cell.source)
    )
    assert scores(nbgrader, course) == {"ada": possible, "bob": 0}
    graded = nbformat.read(
        course / "autograded" / "ada" / "ex02" / f"{EXERCISE}.ipynb", as_version=4
    )
    checks = [cell for cell in graded.cells if exercises.CHECK_TAG in exercises.tags(cell)]
    assert all("with check(" in cell.source for cell in checks), "the checks were not restored"

"""Where the repository's parts are, for modules that read their files or start processes there."""

from pathlib import Path

#: The repository: notebooks/, course_project/, workbook/ (with workbook/bench/), ...
REPO_ROOT = Path(__file__).resolve().parent.parent
#: The Django project, the folder holding manage.py.
COURSE_PROJECT = REPO_ROOT / "course_project"

# Channels Workbook. Two commands do all the set-up on a fresh clone with python3 (>= 3.11):
#   make lab    - create .venv, install, open JupyterLab on the lessons
#   make test   - create/update the same .venv and run every check (lint, project, runtime, notebooks)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Which Django: constraints.txt holds the 5.2 LTS the lessons are checked with, on every Python.
# CONSTRAINTS=constraints-django6.txt installs the newest 6.x instead (Python 3.12 or newer).
CONSTRAINTS ?= constraints.txt
# Rebuilt only when a requirements file, pyproject.toml or the constraints change, so a second
# run installs nothing. One stamp per constraints file: switching CONSTRAINTS reinstalls.
STAMP := $(VENV)/.installed-with-$(basename $(notdir $(CONSTRAINTS)))
# The website's tools (Sphinx, MyST-NB, the theme) go into the same .venv only when a book target runs.
BOOK_STAMP := $(VENV)/.installed-book
MANAGE := cd course_project && ../$(BIN)/python manage.py
# Four workers, on the 2-core machines this course targets too: most tests wait on servers,
# sockets, kernels and browsers (two workers kept the CPUs less than half busy). loadscope keeps
# a notebook, and a test module's servers, on one worker.
JOBS ?= 4
PYTEST := $(BIN)/python -m pytest -n $(JOBS) --dist loadscope
# `make test` runs course_project's tests in the same session as the workbook's, with the settings
# of its pytest.ini (tests/test_boundaries.py compares them): one set of workers for everything
# keeps both cores busy to the end. The way its users run them, from its folder with only its
# requirements, is nox's project sessions (make test-django6: on Django 6.x and on 5.2).
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg --nbval-cell-timeout 120

.PHONY: help venv lab test test-slow test-fast test-attacks test-django6 test-book test-nbgrader \
	lint format serve demo bench bench-grading exercises check grade regenerate book clean

help:
	@echo "make lab        start JupyterLab on the workbook (creates .venv on first run; PORT=...)"
	@echo "make test       lint + every test + every lesson under nbval"
	@echo "make test-slow  the fault tests on daphne and the other layers, the benchmark end to end"
	@echo "make test-fast  the quick set while editing: no browser, Redis or notebooks"
	@echo "make test-attacks  the memory attacks on daphne and uvicorn (slow, one at a time)"
	@echo "make test-django6  the project's tests and a set of lessons on Django 6.x (nox)"
	@echo "make test-nbgrader   nbgrader's own autograde on a generated exercise (own venv)"
	@echo "make serve      run the chat on http://127.0.0.1:8000 (PORT=8001 for another port)"
	@echo "make demo       create the demo users alice, bob and carol"
	@echo "make bench      run the fan-out and connection benchmarks"
	@echo "make bench-grading   time the grading of a made-up class (40 students x 16 exercises)"
	@echo "make check      run your exercises and show which checks pass (EX=05 for one)"
	@echo "make grade DIR=submissions   grade a class: one folder per student (ROSTER=file)"
	@echo "make exercises  regenerate exercises/ from solutions/ (course authors)"
	@echo "make regenerate after editing a lesson: links, diagrams, slides, the guide's tables"
	@echo "make book       build the course website into build/book/html (needs npm)"
	@echo "make test-book  build the website and check it, the slides and diagrams in Chromium"
	@echo "make format     apply ruff's formatting and safe fixes"

$(STAMP): requirements.txt requirements-test.txt course_project/requirements.txt course_project/requirements-test.txt pyproject.toml $(CONSTRAINTS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "make: Python 3.11 or newer is needed, found " + sys.version.split()[0] + "; set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(if $(findstring django6,$(CONSTRAINTS)),@$(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "make: Django 6 needs Python 3.12 or newer, .venv has " + sys.version.split()[0] + "; rm -rf .venv and run make again with PYTHON=python3.12 (or newer)")')
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -r requirements-test.txt -e .
	rm -f $(VENV)/.installed-with-*
	touch $(STAMP)

venv: $(STAMP)

$(BOOK_STAMP): requirements-book.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-book.txt
	touch $(BOOK_STAMP)

# Jupyter refuses to run as root unless told; containers and CI machines often are root.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
# `make lab PORT=8890`, `make serve PORT=8001`: each has its own default port.
lab: PORT ?= 8888
serve: PORT ?= 8000

# LAB_ARGS adds JupyterLab options (.devcontainer/devcontainer.json sets some for Codespaces).
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --ServerApp.port=$(PORT) \
		$(LAB_ROOT) $(LAB_ARGS) notebooks/index.ipynb

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The exercises' solutions run in the lessons' session, their outputs not compared (see
# workbook/pytest_plugin.py): one set of workers for both.
test: lint
	$(PYTEST) -m "not attack and not book and not nbgrader and not slow" \
		course_project tests notebooks solutions $(NBVAL)

# The attacks of tests/test_attacks.py: servers under load with their memory sampled, one at a
# time (in parallel they would measure each other), about three minutes.
test-attacks: $(STAMP)
	$(BIN)/python -m pytest -m attack tests -p no:xdist -v

# The tests marked slow, kept out of `make test` so that it stays within a few minutes on 2 cores:
# the fault and Redis tests' cases on daphne and on the layers beside the one each case is about
# (tests/test_nothing_lost.py, tests/test_redis.py), the worker through a Redis outage, and the
# benchmark run end to end (python -m workbook.bench with tiny sizes). .ci/run runs it too.
test-slow: $(STAMP)
	$(PYTEST) -m slow tests

test-fast: $(STAMP)
	$(PYTEST) -m "not browser and not redis and not attack and not book and not nbgrader and not slow" \
		course_project tests

# The website, the slides in JupyterLab and the diagrams, in the system Chromium (a few minutes).
test-book: $(BOOK_STAMP)
	$(PYTEST) -m book tests

# Everything generated from the lessons, in the order each step needs (a test fails if stale).
regenerate: $(STAMP)
	$(BIN)/python -m tools.nav
	$(BIN)/python -m tools.diagrams
	$(BIN)/python -m tools.slides
	$(BIN)/python -m tools.guide
	$(BIN)/python -m tools.badges

book: $(BOOK_STAMP)
	$(BIN)/python -m tools.book

# Django 6.x in virtualenvs of nox's own (.nox/), on the newest Python 3.12+ found: the
# project's tests (also on 5.2) and a set of lessons under nbval. See noxfile.py.
test-django6: $(STAMP)
	$(BIN)/nox

# nbgrader pulls in Notebook, SQLAlchemy and Alembic: it gets a venv of its own, never .venv.
NBGRADER_VENV := .venv-nbgrader
$(NBGRADER_VENV)/.installed:
	test -x $(NBGRADER_VENV)/bin/python || $(PYTHON) -m venv $(NBGRADER_VENV)
	$(NBGRADER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(NBGRADER_VENV)/bin/python -m pip install --quiet "nbgrader>=0.9.6,<0.10"
	touch $@

test-nbgrader: $(STAMP) $(NBGRADER_VENV)/.installed
	NBGRADER="$(CURDIR)/$(NBGRADER_VENV)/bin/nbgrader" $(BIN)/python -m pytest -m nbgrader tests/test_nbgrader.py

# Behind a JupyterHub or in a codespace the browser reaches the server elsewhere than 127.0.0.1:
# tools/serve.py says where, and gives the settings that go with it (none on your own machine).
serve: $(STAMP)
	@$(BIN)/python -m tools.serve --env $(PORT) >/dev/null  # a wrong PORT stops here, in one line
	$(MANAGE) migrate --verbosity 0
	@echo "The chat: $$($(BIN)/python -m tools.serve $(PORT) chat/)"
	cd course_project && env $$(cd .. && $(BIN)/python -m tools.serve --env $(PORT) 2>/dev/null) \
		../$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

demo: $(STAMP)
	$(MANAGE) migrate --verbosity 0
	$(MANAGE) create_demo_users

bench: $(STAMP)
	$(BIN)/python -m workbook.bench

# Not part of make test: it grades 640 notebooks (BENCH_ARGS="--students 10 --jobs 4").
bench-grading: $(STAMP)
	$(BIN)/python -m tools.grading.benchmark $(BENCH_ARGS)

exercises: $(STAMP)
	$(BIN)/python -m tools.exercises

# A learner's check: every check with its hint, and what to do next; failing checks are not a
# make error (CI uses --strict). EX=5, EX=05 or EX="5 7"; CHECK_ARGS and GRADE_ARGS pass options on.
check: $(STAMP)
	@$(BIN)/python -m tools.grading check $(EX) $(CHECK_ARGS)

grade: $(STAMP)
	@test -n "$(DIR)" || { echo "usage: make grade DIR=path/to/submissions [ROSTER=roster.csv]"; exit 2; }
	$(BIN)/python -m tools.grading grade "$(DIR)" $(if $(ROSTER),--roster "$(ROSTER)") $(GRADE_ARGS)

clean:
	rm -rf $(VENV) $(NBGRADER_VENV) .nox build course_project/staticfiles

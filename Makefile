# Channels Workbook. Two commands do all the set-up on a fresh clone with python3 (>= 3.11):
#   make lab    - create .venv, install, open JupyterLab on the lessons
#   make test   - create/update the same .venv and run every check (lint, project, runtime, notebooks)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Rebuilt only when a requirements file or pyproject.toml changes, so a second run installs nothing.
STAMP := $(VENV)/.installed
MANAGE := cd course_project && ../$(BIN)/python manage.py
# Two workers on the 2-core machines this course targets; loadscope keeps a notebook on one worker.
JOBS ?= 2
PYTEST := $(BIN)/python -m pytest -n $(JOBS) --dist loadscope
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg --nbval-cell-timeout 120

.PHONY: help venv lab test test-slow test-fast lint format serve demo bench exercises check grade clean

help:
	@echo "make lab        start JupyterLab on the workbook (creates .venv on first run)"
	@echo "make test       lint + every test + every lesson under nbval"
	@echo "make test-slow  the fault tests: servers killed, Redis restarted, bursts (minutes)"
	@echo "make test-fast  the quick set while editing: no browser, Redis or notebooks"
	@echo "make serve      run the chat on http://127.0.0.1:8000 (daphne via runserver)"
	@echo "make demo       create the demo users alice, bob and carol"
	@echo "make bench      run the fan-out and connection benchmarks"
	@echo "make check      run your exercises and show which checks pass (EX=05 for one)"
	@echo "make grade DIR=submissions   grade a class: one sub-folder per student"
	@echo "make exercises  regenerate exercises/ from solutions/ (course authors)"
	@echo "make format     apply ruff's formatting and safe fixes"

$(STAMP): requirements.txt requirements-test.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "make: Python 3.11 or newer is needed, found " + sys.version.split()[0] + "; set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-test.txt -e .
	touch $(STAMP)

venv: $(STAMP)

# Jupyter refuses to run as root unless told; containers and CI machines often are root.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(LAB_ROOT) notebooks/index.ipynb

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(PYTEST) -m "not slow" course_project tests notebooks $(NBVAL)
	$(PYTEST) solutions --nbval-lax --nbval-current-env --nbval-cell-timeout 120

# Servers killed mid-traffic, Redis stopped and restarted, bursts through the real page: a few
# minutes, so kept out of `make test`. .ci/run runs both.
test-slow: $(STAMP)
	$(PYTEST) -m slow tests

test-fast: $(STAMP)
	$(PYTEST) -m "not browser and not redis and not slow" course_project tests

serve: $(STAMP)
	$(MANAGE) migrate --verbosity 0
	$(MANAGE) runserver 127.0.0.1:8000

demo: $(STAMP)
	$(MANAGE) migrate --verbosity 0
	$(MANAGE) create_demo_users

bench: $(STAMP)
	$(BIN)/python -m bench

exercises: $(STAMP)
	$(BIN)/python -m tools.exercises

check: $(STAMP)
	$(BIN)/python -m tools.grade check $(EX)

grade: $(STAMP)
	@test -n "$(DIR)" || { echo "usage: make grade DIR=path/to/submissions"; exit 2; }
	$(BIN)/python -m tools.grade grade "$(DIR)"

clean:
	rm -rf $(VENV) course_project/staticfiles bench/results

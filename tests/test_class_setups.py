"""Where classes run: the dev container (GitHub Codespaces), the Binder environment and the
README's launch badges, checked as files, since neither service can be run here: each file parses,
and what it runs or forwards exists in the Makefile and the repository."""

import json
import re
import subprocess
import sys
import tomllib

import pytest
import yaml

from tools import badges, book
from workbook.paths import REPO_ROOT

DEVCONTAINER = REPO_ROOT / ".devcontainer"
MAKEFILE = (REPO_ROOT / "Makefile").read_text()


def make_targets():
    return set(re.findall(r"^([a-z][\w-]*):", MAKEFILE, re.MULTILINE))


def default_port(target):
    return int(re.search(rf"^{target}: PORT \?= (\d+)$", MAKEFILE, re.MULTILINE)[1])


def requirement_lines(path):
    """Every requirement line of `path`, following -r includes, comments and blanks removed."""
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            yield from requirement_lines(path.parent / line[3:].strip())
        elif line:
            yield line


def python_version_of_dockerfile():
    base = re.search(r"^FROM (\S+)", (DEVCONTAINER / "Dockerfile").read_text(), re.MULTILINE)[1]
    return re.search(r"python:(?:\d+-)?(3\.\d+)", base)[1]


@pytest.fixture(scope="module")
def devcontainer():
    return json.loads((DEVCONTAINER / "devcontainer.json").read_text())


@pytest.fixture(scope="module")
def environment():
    return yaml.safe_load((REPO_ROOT / "environment.yml").read_text())


# The dev container.


def test_the_dev_container_builds_python_3_12_with_chromium_and_redis(devcontainer):
    dockerfile = (DEVCONTAINER / devcontainer["build"]["dockerfile"]).read_text()

    assert python_version_of_dockerfile() == "3.12"
    installs = re.search(r"apt-get install ([^\n\\&]*(?:\\\n[^\n\\&]*)*)", dockerfile)[1].split()
    assert {"chromium", "redis-server"} <= set(installs)


def test_every_command_the_dev_container_runs_is_a_make_target(devcontainer):
    commands = [
        devcontainer[key]
        for key in ("onCreateCommand", "postCreateCommand", "postStartCommand", "postAttachCommand")
        if key in devcontainer
    ]

    assert devcontainer["postCreateCommand"] == "make venv"
    for command in commands:
        program, target = command.split()[:2]
        assert program == "make", command
        assert target in make_targets(), command


def test_the_dev_container_forwards_jupyterlab_and_the_chat(devcontainer):
    lab, serve = default_port("lab"), default_port("serve")

    assert devcontainer["forwardPorts"] == [lab, serve]
    assert set(devcontainer["portsAttributes"]) == {str(lab), str(serve)}
    # The in-kernel server's port is a new one each time: forwarded as the process opens it.
    settings = devcontainer["customizations"]["vscode"]["settings"]
    assert settings["remote.autoForwardPortsSource"] == "process"


def test_the_options_the_dev_container_gives_jupyterlab_exist(devcontainer):
    from jupyter_server.serverapp import ServerApp, flags

    options = devcontainer["remoteEnv"]["LAB_ARGS"].split()
    lab_recipe = re.search(r"^lab: \$\(STAMP\)\n(.*?)\n\n", MAKEFILE, re.MULTILINE | re.DOTALL)[1]
    assert "$(LAB_ARGS)" in lab_recipe
    for option in options:
        if "=" in option:
            cls, trait = option.lstrip("-").split("=", 1)[0].split(".")
            assert cls == "ServerApp", option
            assert trait in ServerApp.class_trait_names(), option
        else:
            assert option.lstrip("-") in flags, option


# Binder.


def test_binder_builds_the_same_python_with_redis_and_the_proxy(environment):
    dependencies = environment["dependencies"]
    pip = next(item["pip"] for item in dependencies if isinstance(item, dict))

    assert environment["channels"] == ["conda-forge"]
    assert f"python={python_version_of_dockerfile()}" in dependencies
    assert "redis-server" in dependencies  # conda-forge's "redis" is the Python client only
    assert "-e ." in pip  # the notebook runtime
    assert "-r requirements-test.txt" in pip
    for option in pip:  # the requirements (-r) and constraints (-c) files exist
        if option.startswith(("-r ", "-c ")):
            assert (REPO_ROOT / option[3:]).is_file(), option
    packages = {
        re.split(r"[<>=;\s\[]", line, maxsplit=1)[0].lower()
        for line in requirement_lines(REPO_ROOT / "requirements-test.txt")
    }
    assert {"jupyter-server-proxy", "jupyterlab", "django", "channels"} <= packages


def test_binder_finds_the_environment_file():
    # repo2docker reads binder/ (or .binder/) instead of the top level when either exists.
    assert not (REPO_ROOT / "binder").exists()
    assert not (REPO_ROOT / ".binder").exists()


def test_the_python_binder_and_the_container_use_is_one_the_course_supports():
    requires = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    minimum = requires["requires-python"].removeprefix(">=")

    assert tuple(map(int, python_version_of_dockerfile().split("."))) >= tuple(
        map(int, minimum.split("."))
    )


# The README's launch badges.


def test_the_readme_badges_are_current():
    result = subprocess.run(
        [sys.executable, "-m", "tools.badges", "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr


def website_settings(tmp_path, github):
    """book/book.toml's settings with the repository set to `github`."""
    text = (REPO_ROOT / "book" / "book.toml").read_text()
    settings_file = tmp_path / "book.toml"
    settings_file.write_text(re.sub(r"(?m)^github = .*$", f'github = "{github}"', text))
    return book.settings(settings_file, environ={})


def test_with_a_repository_the_badges_launch_it(tmp_path):
    block = badges.badges(website_settings(tmp_path, "school/course"))

    assert block.splitlines() == [
        "[![Open in GitHub Codespaces](https://github.com/codespaces/badge.svg)]"
        "(https://codespaces.new/school/course?quickstart=1)",
        "[![launch Binder](https://mybinder.org/badge_logo.svg)]"
        "(https://mybinder.org/v2/gh/school/course/main?urlpath=lab/tree/notebooks/index.ipynb)",
    ]
    assert (REPO_ROOT / badges.FIRST_NOTEBOOK).exists()


def test_without_one_the_readme_says_where_to_find_both(tmp_path):
    text = badges.planned(
        f"intro\n{badges.START}\nold\n{badges.END}\nrest", website_settings(tmp_path, "")
    )

    assert text == f"intro\n{badges.START}\n{badges.NO_REPOSITORY}\n{badges.END}\nrest"
    assert "](#where-classes-run)" in badges.NO_REPOSITORY
    assert "\n## Where classes run\n" in (REPO_ROOT / "README.md").read_text()

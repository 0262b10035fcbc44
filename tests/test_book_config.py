"""The website's settings and staging, without building it (that is `make test-book`)."""

import nbformat
import pytest

from tools import book, nav

SETTINGS = """
[repository]
github = "{github}"
branch = "main"

[launch]
binderhub = "https://binder.example.org"
jupyterhub = "https://hub.example.edu"
codespaces = true
"""


def write_settings(tmp_path, github=""):
    path = tmp_path / "book.toml"
    path.write_text(SETTINGS.format(github=github))
    return path


def test_the_repository_comes_from_the_file_or_from_github_actions(tmp_path):
    path = write_settings(tmp_path, github="school/course")
    assert book.settings(path, environ={}).github == "school/course"
    empty = write_settings(tmp_path)
    assert (
        book.settings(empty, environ={"GITHUB_REPOSITORY": "fork/course"}).github == "fork/course"
    )
    assert book.settings(empty, environ={}).theme_options() == {}


def test_a_malformed_repository_is_one_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="owner/name"):
        book.settings(write_settings(tmp_path, github="https://github.com/a/b"), environ={})


def test_launch_settings_reach_the_theme(tmp_path):
    options = book.settings(write_settings(tmp_path, "school/course"), environ={}).theme_options()
    assert options["repository_url"] == "https://github.com/school/course"
    assert options["path_to_docs"] == ""
    assert options["launch_buttons"]["binderhub_url"] == "https://binder.example.org"
    assert options["launch_buttons"]["jupyterhub_url"] == "https://hub.example.edu"


def test_the_shipped_settings_file_reads():
    config = book.settings(environ={})
    assert config.title
    assert config.binderhub.startswith("https://")


def test_a_printed_diagram_becomes_html_the_page_draws():
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("trace.sequence_diagram()")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                book.MERMAID_MIME: "sequenceDiagram\n    S->>A: <b>",
                "text/markdown": "```mermaid\n...\n```",
                "text/plain": "sequenceDiagram",
            },
        )
    ]
    notebook.cells = [cell]
    data = book.web_outputs(notebook).cells[0].outputs[0]["data"]
    assert (
        data["text/html"]
        == '<pre class="mermaid">sequenceDiagram\n    S-&gt;&gt;A: &lt;b&gt;</pre>'
    )
    assert "text/markdown" not in data


def test_the_landing_page_lists_every_lesson_and_exercise():
    page = book.landing_page(book.settings(environ={}))
    for path in nav.lessons():
        assert f"](notebooks/{path.name})" in page
        assert f"notebooks/{path.stem}\n" in page
    for path in book.exercises():
        assert f"](exercises/{path.name})" in page


def test_the_pages_workflow_builds_and_publishes_the_site():
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((book.CONFIG / "github-pages.yml").read_text())
    steps = workflow["jobs"]["build"]["steps"]
    assert {"run": "make book", "name": "Build the website"} in [
        {key: step[key] for key in ("run", "name") if key in step} for step in steps
    ]
    upload = next(step for step in steps if "upload-pages-artifact" in step.get("uses", ""))
    assert upload["with"]["path"] == str(book.HTML.relative_to(nav.ROOT))
    assert workflow["permissions"]["pages"] == "write"

"""workbook.browser: finding the system Chromium and the flags it is launched with."""

from workbook.browser import CHROMIUM_ARGS, chromium_args, find_chromium


def test_the_chromium_variable_wins_over_path(monkeypatch):
    monkeypatch.setenv("CHROMIUM", "/opt/chrome/chrome")
    assert find_chromium() == "/opt/chrome/chrome"


def test_no_chromium_anywhere_is_none(monkeypatch, tmp_path):
    only_on_path(monkeypatch, tmp_path)
    assert find_chromium() is None


def only_on_path(monkeypatch, folder, *names):
    """PATH holds nothing but `folder`, with an executable file for each of `names`."""
    for name in names:
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(folder))


def test_chromium_on_path_is_found(monkeypatch, tmp_path):
    only_on_path(monkeypatch, tmp_path, "chromium")
    assert find_chromium() == str(tmp_path / "chromium")


def test_the_headless_shell_is_preferred_to_the_whole_browser(monkeypatch, tmp_path):
    only_on_path(monkeypatch, tmp_path, "chromium", "chromium-headless-shell")
    assert find_chromium() == str(tmp_path / "chromium-headless-shell")


def test_extra_flags_come_after_the_course_flags():
    assert chromium_args("--host-resolver-rules=MAP a.example 127.0.0.1") == [
        *CHROMIUM_ARGS,
        "--host-resolver-rules=MAP a.example 127.0.0.1",
    ]
    assert "--no-sandbox" in CHROMIUM_ARGS

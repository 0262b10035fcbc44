"""workbook.browser: finding the system Chromium and the flags it is launched with."""

from workbook.browser import CHROMIUM_ARGS, chromium_args, find_chromium


def test_the_chromium_variable_wins_over_path(monkeypatch):
    monkeypatch.setenv("CHROMIUM", "/opt/chrome/chrome")
    assert find_chromium() == "/opt/chrome/chrome"


def test_no_chromium_anywhere_is_none(monkeypatch, tmp_path):
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() is None


def test_chromium_on_path_is_found(monkeypatch, tmp_path):
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() == str(chromium)


def test_the_headless_shell_is_preferred_to_the_whole_browser(monkeypatch, tmp_path):
    for name in ("chromium", "chromium-headless-shell"):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() == str(tmp_path / "chromium-headless-shell")


def test_extra_flags_come_after_the_course_flags():
    assert chromium_args("--host-resolver-rules=MAP a.example 127.0.0.1") == [
        *CHROMIUM_ARGS,
        "--host-resolver-rules=MAP a.example 127.0.0.1",
    ]
    assert "--no-sandbox" in CHROMIUM_ARGS

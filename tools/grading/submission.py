"""A student's notebook, read as untrusted input, and the notebook that grading runs from it.

Only the task cells are taken from a submission; they are put into the instructor's copy of the
exercise, so checks and setup cells the student edited, removed or untagged change nothing, and
nothing stored in the file (outputs, execution counts) counts.
"""

import copy
import hashlib
import json
from dataclasses import dataclass, field

from tools import exercises

MAX_BYTES = 20 * 1024 * 1024  # an exercise with outputs is well under 1 MB


class NotANotebook(ValueError):
    """The file cannot be graded; the message says why, in a student's terms."""


def fingerprint(data):
    return hashlib.sha256(data).hexdigest()


def parse(data):
    """The notebook's JSON from the file's bytes, or NotANotebook saying what is wrong."""
    if len(data) > MAX_BYTES:
        raise NotANotebook(
            f"not a notebook: {len(data) / 2**20:.0f} MB, over the {MAX_BYTES // 2**20} MB limit"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotANotebook(
            f"not a notebook: not UTF-8 text (byte {error.start + 1} is not)"
        ) from None
    if not text.strip():
        raise NotANotebook("not a notebook: the file is empty")
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotANotebook(f"not a notebook: invalid JSON at line {error.lineno}") from None
    except RecursionError:
        raise NotANotebook("not a notebook: JSON nested too deeply") from None
    if not isinstance(notebook, dict):
        kind = {list: "a list", str: "a string"}.get(type(notebook), "a single value")
        raise NotANotebook(f"not a notebook: the file holds {kind}, not a notebook")
    if not notebook:
        raise NotANotebook("not a notebook: the file holds {}, with no cells")
    if not isinstance(notebook.get("cells"), list):
        raise NotANotebook("not a notebook: it has no list of cells")
    return notebook


def source_of(cell):
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    return source if isinstance(source, str) else None


def _code_cells(notebook):
    """(id, tags, source) of each code cell with readable source, whatever else is in it."""
    cells = []
    for cell in notebook["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = source_of(cell)
        if source is None:
            continue
        metadata = cell.get("metadata")
        cell_tags = metadata.get("tags") if isinstance(metadata, dict) else None
        cell_tags = cell_tags if isinstance(cell_tags, list) else []
        cell_id = cell.get("id") if isinstance(cell.get("id"), str) else None
        cells.append((cell_id, cell_tags, source))
    return cells


@dataclass
class Assembly:
    """The notebook grading runs: the instructor's copy with the student's task cells in it."""

    notebook: object
    missing: list[str] = field(default_factory=list)  # sections whose task cell was not found
    ignored: int = 0  # code cells the student added outside the task cells: not run


def assemble(exercise, submitted):
    """Put the task cells of `submitted` (parsed JSON) into a copy of `exercise.notebook`.

    A task cell is found by its id. JupyterLab gives a pasted copy of a cell a new id but keeps
    its tags, so task cells not found by id are paired, in order, with the tagged cells left over.
    """
    notebook = copy.deepcopy(exercise.notebook)
    own_ids = {cell.id for cell in notebook.cells}
    cells = _code_cells(submitted)
    by_id = {}
    for cell_id, _tags, source in cells:
        by_id.setdefault(cell_id, source)
    leftovers = [
        source
        for cell_id, cell_tags, source in cells
        if exercises.TASK_TAG in cell_tags and cell_id not in own_ids
    ]
    unmatched = [task for task in exercise.tasks if task not in by_id]
    pairs = dict(zip(unmatched, leftovers, strict=True)) if len(unmatched) == len(leftovers) else {}
    assembly = Assembly(notebook)
    for cell in notebook.cells:
        if cell.id not in exercise.tasks:
            continue
        source = by_id.get(cell.id, pairs.get(cell.id))
        if source is None:
            section = exercise.sections[cell.id]
            if section not in assembly.missing:
                assembly.missing.append(section)
            continue  # the stub stays: that task's checks fail as if nothing was written
        cell.source = source
    assembly.ignored = sum(
        1
        for cell_id, cell_tags, source in cells
        if cell_id not in own_ids and exercises.TASK_TAG not in cell_tags and source.strip()
    )
    return assembly

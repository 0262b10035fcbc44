"""Lessons and exercises use only workbook's public API: the names in workbook.__all__, and the
`__all__` of the public submodules its docstring lists. Everything else may change freely."""

import ast
import importlib
import re

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

import workbook
from workbook.paths import REPO_ROOT

NOTEBOOKS = sorted(
    path
    for folder in ("notebooks", "solutions", "exercises")
    for path in (REPO_ROOT / folder).glob("*.ipynb")
)
PUBLIC_MODULES = re.findall(r"^- (workbook\.[\w.]+):", workbook.__doc__, re.MULTILINE)


def public_names(module):
    return set(importlib.import_module(module).__all__)


def workbook_imports(source):
    """(module, name) for each import from workbook in a cell; name None for `import module`."""
    python = TransformerManager().transform_cell(source)  # IPython syntax (magics) to Python
    tree = compile(python, "<cell>", "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "workbook":
            yield from ((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "workbook":
                    yield alias.name, None


def test_the_public_api_is_importable():
    assert PUBLIC_MODULES, "workbook's docstring lists its public submodules as '- workbook.x:'"
    for module in ["workbook", *PUBLIC_MODULES]:
        for name in public_names(module):
            assert hasattr(importlib.import_module(module), name), f"{module}.{name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_notebooks_import_only_public_names(path):
    notebook = nbformat.read(path, as_version=4)
    private = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for module, name in workbook_imports(cell.source):
            if module == "workbook":
                public = name in workbook.__all__
            else:
                public = f"{module}.{name}" in PUBLIC_MODULES or (  # a public submodule
                    module in PUBLIC_MODULES and (name is None or name in public_names(module))
                )
            if not public:
                private.append(f"{module}.{name}" if name else module)
    assert not private, f"not in workbook's public API: {', '.join(private)}"

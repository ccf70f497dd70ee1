"""Every notebook in notebooks/ runs top to bottom without a cell error."""

import pytest

from notebooks import NOTEBOOKS, execute


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_without_errors(path):
    notebook = execute(path)
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # Rich output reached the notebook: tables as HTML, charts as SVG.
    kinds = {mime for o in outputs for mime in o.get("data", {})}
    assert "text/html" in kinds
    assert "image/svg+xml" in kinds


def test_every_notebook_was_found():
    names = {p.name for p in NOTEBOOKS}
    assert {"01-tour.ipynb", "02-teaching-npt.ipynb", "03-deep-end.ipynb", "04-coding-by-selection.ipynb"} <= names

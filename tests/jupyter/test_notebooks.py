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
    assert {"01-tour.ipynb", "02-teaching-npt.ipynb", "03-deep-end.ipynb", "04-coding-by-selection.ipynb",
            "02-teaching-npt-instructor.ipynb"} <= names


def test_the_students_notebook_arrives_unanswered_and_without_the_key():
    """What a student opens: blank answers, a stub rule, no key in notebooks/ or data/."""
    import json
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    notebook = json.loads((root / "notebooks" / "02-teaching-npt.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    answers = next(s for s in sources if s.startswith("let answers = #{"))
    assert answers.count('""') == 16
    assert 'value: "?"' in next(s for s in sources if "p.classify(" in s)
    for folder in ("notebooks", "data"):
        assert not [p for p in (root / folder).rglob("*key*")], f"a key in {folder}/"
    # The saved check shows no key: nothing was answered.
    outputs = [o for c in notebook["cells"] if c["cell_type"] == "code" and "ex.check(answers)" in "".join(c["source"])
               for o in c["outputs"]]
    text = "".join("".join(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "No answers yet" in text and "Communal specification" not in text

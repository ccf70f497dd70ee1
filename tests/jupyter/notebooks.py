"""Executes the notebooks in notebooks/ with nbclient, as Jupyter would run them top to bottom.

    python tests/jupyter/notebooks.py --save   # re-run and save the outputs into the files
"""

import os
import pathlib
import shutil
import sys
import tempfile

import nbclient
import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The students' notebooks, and the instructor's guide kept with the teaching keys.
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "teaching").glob("*.ipynb"))


def execute(path: pathlib.Path) -> nbformat.NotebookNode:
    """Runs every cell in a fresh qualkit kernel started in the notebook's folder; a cell
    error raises nbclient's CellExecutionError.

    The notebook runs in a copy of notebooks/, data/ and teaching/: what its cells code, classify or
    memo is written to the project's files, as it would be for a user, and the bundled
    sample must stay as committed."""
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        cell.setdefault("id", f"cell-{index:02}")
    with tempfile.TemporaryDirectory() as scratch:
        copy = pathlib.Path(scratch)
        for folder in ("notebooks", "data", "teaching"):
            shutil.copytree(
                ROOT / folder, copy / folder, ignore=shutil.ignore_patterns(".qualkit")
            )
        client = nbclient.NotebookClient(
            notebook,
            kernel_name="qualkit",
            timeout=300,
            resources={"metadata": {"path": str(copy / path.parent.name)}},
        )
        # Lesson copies (npt::lesson_project) go under the temporary folder: this run's.
        saved_tmpdir = os.environ.get("TMPDIR")
        os.environ["TMPDIR"] = str(copy)
        try:
            client.execute()
        finally:
            if saved_tmpdir is None:
                os.environ.pop("TMPDIR", None)
            else:
                os.environ["TMPDIR"] = saved_tmpdir
    return notebook


if __name__ == "__main__":
    if "--save" in sys.argv:
        import conftest  # noqa: F401  registers the kernel built in target/

        for path in NOTEBOOKS:
            notebook = execute(path)
            # A saved widget has no kernel behind it: keep the static view that says why.
            for cell in notebook.cells:
                for output in cell.get("outputs", []):
                    output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
            notebook.metadata.pop("widgets", None)
            nbformat.write(notebook, path)
            print(f"executed and saved {path.relative_to(ROOT)}")

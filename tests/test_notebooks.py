"""Both notebooks run headless in the demo world, kept small through their env parameters.

The quickstart runs `train_and_evaluate` with 0 steps (data preparation, initialisation,
export of the initial EMA ISF and the demo evaluation; the training step itself is covered by
tests/test_train.py), then the photo notebook edits with that ISF: scikit-image's astronaut,
aligned with the real dlib landmark model, inverted in each mode (the encoder modes with a
small random-weight e4e encoder made here: no e4e is trained for the demo generator).
"""

import os
from pathlib import Path

import pytest

from tests.helpers.editing import make_encoder_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def _run(name, env, timeout=600):
  import nbformat
  from nbclient import NotebookClient

  notebook = nbformat.read(ROOT / "notebooks" / name, as_version=4)
  assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code"), (
    f"{name}: outputs must be cleared in git"
  )
  previous = {k: os.environ.get(k) for k in env}
  os.environ.update(env)
  try:
    NotebookClient(
      notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": ROOT}}
    ).execute()
  finally:
    for k, v in previous.items():
      os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
  return notebook


@pytest.mark.slow
def test_notebooks_run_in_demo_mode(tmp_path, lpips_cache):
  quick = tmp_path / "quick"
  common = {"ISF_NOTEBOOK_STEPS": "0", "ISF_NOTEBOOK_NUM_TRAIN": "64", "TQDM_DISABLE": "1"}
  _run("quickstart.ipynb", {**common, "ISF_NOTEBOOK_WORKDIR": str(quick)})
  for name in ("quickstart_translate", "quickstart_sample", "quickstart_interpolate"):
    assert (quick / f"{name}.png").stat().st_size > 0, name
  assert (quick / "isf_ema" / "config.json").exists()

  if not os.environ.get("CI"):  # CI installs `.[dev]`, which has them: there they must work
    pytest.importorskip("dlib")
    pytest.importorskip("skimage")
  photo = tmp_path / "photo"
  env = {
    **common,
    "ISF_NOTEBOOK_ISF": str(quick / "isf_ema"),
    "ISF_NOTEBOOK_PHOTO": "astronaut",
    "ISF_NOTEBOOK_ALIGN": "1",
    "ISF_NOTEBOOK_ENCODER": str(make_encoder_checkpoint(tmp_path / "encoder", generator="faces")),
    "ISF_NOTEBOOK_INVERT_STEPS": "10",
    "ISF_NOTEBOOK_REFINE_STEPS": "3",
    "ISF_NOTEBOOK_LPIPS": "alex",
    "ISF_NOTEBOOK_WORKDIR": str(photo),
  }
  notebook = _run("real_photo_editing.ipynb", env)
  for name in ("photo", "real_photo_inversion", "real_photo_edits"):
    assert (photo / f"{name}.png").stat().st_size > 0, name
  printed = "".join(
    o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs
  )
  reports = {line.split()[0] for line in printed.splitlines() if "reconstruction: LPIPS" in line}
  assert reports == {"encoder", "encoder+optimize", "optimize"}, printed
  assert "2 faces found; aligned the most confident" in printed  # the astronaut's suit patch
  assert "'aligned': True" in printed and "edited the encoder+optimize code" in printed

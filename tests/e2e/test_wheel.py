"""`pip install .` works, not only the editable install: build the wheel, check it, run from it."""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.helpers import REPO

PACKAGE_ROOTS = {"grammar": "nsl/grammar", "lang": "nsl/lang", "compiler": "nsl/compiler",
                 "runtime": "nsl/runtime", "stdlib": "nsl/stdlib", "nsl": "nsl"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("wheel")
    src = out / "src"
    # build from a copy of the tracked tree, so stray local files cannot leak in
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True,
                           text=True, check=True).stdout.split()
    for name in files:
        if (pathlib.Path(REPO) / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(pathlib.Path(REPO) / name, src / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    (built,) = out.glob("nsl-*.whl")
    return built


def test_wheel_has_every_subpackage_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, installed in PACKAGE_ROOTS.items():
        for init in (pathlib.Path(REPO) / folder).rglob("__init__.py"):
            relative = init.relative_to(pathlib.Path(REPO) / folder).as_posix()
            assert f"{installed}/{relative}" in names, f"{folder}/{relative} missing from the wheel"
    assert "nsl/grammar/nsl.lark" in names
    for module in (pathlib.Path(REPO) / "stdlib").glob("*.nsl"):
        assert f"nsl/stdlib/{module.name}" in names
    assert not any(n.startswith(("tests/", "examples/", "bench/")) for n in names)


def test_installed_wheel_runs_an_example(wheel, tmp_path):
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                           str(wheel)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    env = dict(os.environ, PYTHONPATH=str(target))
    example = pathlib.Path(REPO) / "examples" / "graph"
    shutil.copytree(example, tmp_path / "graph")
    code = "import nsl, sys; print(nsl.__file__); from nsl.cli import main; sys.exit(main(['run', 'flights.nsl']))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path / "graph"), env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    first, *rest = proc.stdout.splitlines()
    assert first.startswith(str(target)), "ran the source tree instead of the installed wheel"
    assert "\n".join(rest) + "\n" == (example / "expected.txt").read_text()

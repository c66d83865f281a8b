"""The layer rules of docs/architecture.md hold: import-linter's contracts pass, every
feature package is covered by them, and a crossing fails the build."""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CORE_PACKAGES = {"demo", "static", "ui"}


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def features() -> set[str]:
    return {path.name for path in (ROOT / "casework").iterdir() if (path / "__init__.py").exists()} - CORE_PACKAGES


def contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["contracts"]


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_feature_is_layered_and_keeps_its_views_and_forms_to_itself():
    [layers] = [contract for contract in contracts() if contract["type"] == "layers"]
    assert set(layers["containers"]) == {f"casework.{feature}" for feature in features()}
    own = {
        contract["forbidden_modules"][0].split(".")[1]
        for contract in contracts()
        if contract["name"].startswith("Only casework.")
    }
    with_pages = {
        feature
        for feature in features()
        if any((ROOT / "casework" / feature / name).exists() for name in ("views.py", "views", "forms.py", "forms"))
    }
    assert own == with_pages


def test_a_service_importing_a_view_fails_the_build(tmp_path):
    shutil.copytree(ROOT / "casework", tmp_path / "casework", ignore=shutil.ignore_patterns("static", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assert lint_imports(tmp_path).returncode == 0
    services = tmp_path / "casework" / "people" / "services.py"
    services.write_text(services.read_text(encoding="utf-8") + "\nfrom casework.cases import views  # noqa: E402\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "casework.people.services -> casework.cases.views" in result.stdout


def test_only_the_demo_moves_the_clock():
    """clock.as_of() records the demo partnership's past through the services; anywhere
    else it would let a request write a false time."""
    callers = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "casework").rglob("*.py")
        if "as_of(" in path.read_text(encoding="utf-8")
    }
    assert callers, "clock.as_of is gone: remove this test"
    assert all(caller.startswith("casework/demo/") or caller == "casework/clock.py" for caller in callers), callers

"""As a new user: `pip install` (not editable) into a fresh virtual environment, then the commands
run from an ordinary folder. Files go where the user is, the shipped corpus is found inside the
package, nothing is written inside the environment, and no message text is cached anywhere.

Slow (it installs the base dependencies, from pip's cache when it has them, and trains on the
shipped corpus); `make test` runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import intent

ROOT = Path(__file__).resolve().parent.parent
#: A message no corpus holds: if it shows up in a cache or in the environment, a copy was made.
MARKER = "Zxqv marcador privado 7731"


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` (bytecode caches aside: Python's own) with its size and mtime."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def _files_containing(folder: Path, needle: str) -> list[Path]:
    data = needle.encode("utf-8")
    return [p for p in folder.rglob("*") if p.is_file() and data in p.read_bytes()] if folder.exists() else []


def _build_leftovers() -> set[str]:
    """What a build could leave in the checkout: build/, dist/, egg-info, a copy of the data or model."""
    places = [ROOT / n for n in ("build", "dist", "src/intent/_data", "src/intent/_model")]
    places += [*ROOT.glob("*.egg-info"), *ROOT.glob("src/*.egg-info")]
    return {str(p.relative_to(ROOT)) for p in places if p.exists()}


@pytest.mark.slow
def test_pip_install_then_every_command_from_any_folder(tmp_path: Path) -> None:
    leftovers = _build_leftovers()
    wheels, venv, work, hf_home = tmp_path / "wheels", tmp_path / "venv", tmp_path / "work", tmp_path / "hf"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(ROOT)], check=True
    )
    (wheel,) = wheels.glob("intent-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True)
    site = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True
        ).strip()
    )
    assert (site / "intent" / "_data" / "train.csv").is_file() and (site / "intent" / "_model").is_dir()
    before = _snapshot(venv)

    work.mkdir()
    # Spanish column names, ';', cp1252 and label aliases, as a spreadsheet in Spain saves them.
    rows = [
        ("No me interesa, gracias", "rechazo"),
        (f"Curso de inglés por 99€, solo hoy. {MARKER}", "Venta"),
        ("Encantada de conectar, vi tu charla sobre datos", "networking"),
        ("¿Tienes 15 minutos para una demo de nuestro CRM?", "spam"),
        ("Prefiero no conectar con personas que no conozco", "Rechazo"),
        ("Me encantaría seguir tu trabajo en UX, ¿conectamos?", "Networking"),
    ]
    (work / "mios.csv").write_bytes(("mensaje;etiqueta\n" + "".join(f"{t};{y}\n" for t, y in rows)).encode("cp1252"))
    env = {k: v for k, v in os.environ.items() if k not in ("INTENT_MODEL", "VIRTUAL_ENV", "PYTHONPATH")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", HF_HOME=str(hf_home), COLUMNS="100")

    def run(*argv: str, status: int = 0, **extra: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(list(argv), cwd=work, env={**env, **extra}, capture_output=True, text=True)
        assert done.returncode == status, (argv, done.stdout[-2000:], done.stderr[-2000:])
        assert "Traceback" not in done.stderr and "Warning" not in done.stderr, done.stderr
        return done

    assert run("intent", "--version").stdout.strip() == f"intent {intent.__version__}"
    assert run(str(python), "-m", "intent", "--version").stdout.strip() == f"intent {intent.__version__}"
    assert "usage: intent classify" in run("intent", "classify", "--bogus", status=2).stderr

    # Teach it your inbox: the shipped corpus (inside the package) plus the user's rows.
    trained = run("intent", "train", "--data", "mios.csv", "--cv-folds", "2", "--textcat-epochs", "0")
    assert "model: intent-custom.joblib" in trained.stdout
    assert "wrote models/intent-custom.joblib" in trained.stderr and "reports/intent-custom/" in trained.stderr
    assert "pip install 'intent[report]'" in trained.stderr  # the base install draws no images, and says so
    meta = json.loads((work / "models" / "intent-custom.json").read_text(encoding="utf-8"))
    assert [d["source"] for d in meta["data"]["train"]] == ["train.csv", "mios.csv"]
    assert (work / "reports" / "intent-custom" / "test" / "report.md").is_file()
    assert "already exists" in run("intent", "train", "--data", "mios.csv", status=2).stderr  # no silent overwrite

    evaluated = run("intent", "evaluate")
    assert evaluated.stdout.startswith("test: macro-F1") and "challenge-test: macro-F1" in evaluated.stdout
    assert (work / "reports" / "test" / "metrics.json").is_file()
    assert (work / "reports" / "challenge-test" / "metrics.json").is_file()

    run("intent", "classify", "mios.csv", "-o", "etiquetados.csv", INTENT_MODEL="models/intent-custom.joblib")
    labeled = (work / "etiquetados.csv").read_text(encoding="utf-8").splitlines()
    assert labeled[0].startswith("mensaje,etiqueta,intent,confidence,uncertain") and len(labeled) == 7
    sample = run("intent", "classify", "-o", "muestra.csv")
    assert "no INPUT given" in sample.stderr and (work / "muestra.csv").is_file()
    served = run("intent", "serve", status=2)
    assert served.stderr.count("\n") == 1 and "pip install 'intent[web]'" in served.stderr
    run(
        str(python),
        "-c",
        "import sys, intent; intent.predict('hola'); "
        "assert not {'datasets', 'matplotlib', 'fastapi', 'dask'} & set(sys.modules), sorted(sys.modules)",
    )

    assert _snapshot(venv) == before, "something was written inside the environment"
    assert _files_containing(hf_home, MARKER) == [] and _files_containing(venv, MARKER) == []
    assert not (hf_home / "datasets").exists() or not any((hf_home / "datasets").rglob("*.arrow"))
    assert _build_leftovers() == leftovers, "the build wrote into the checkout"

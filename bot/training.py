"""Train the Rasa model only when its inputs changed.

The model file is named by a hash of everything that shapes it (config, domain, training data, our NLU components),
so an unchanged checkout reuses the model and a changed one never runs a stale model.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterable

from base.settings import PROJECT_ROOT

MODELS_DIR = PROJECT_ROOT / "models"
GENERATED_LOOKUP = PROJECT_ROOT / "data" / "nlu" / "lookup_procedures.yml"
# Bump when the training procedure itself changes in a way the inputs do not show.
_RECIPE_VERSION = "1"


def training_inputs(root: Path = PROJECT_ROOT) -> list[Path]:
    """Every file whose content changes the trained model, in a stable order."""
    files: list[Path] = [root / "config.yml", root / "domain.yml"]
    files += sorted(p for p in (root / "data").rglob("*") if p.is_file() and p.suffix in {".yml", ".yaml"})
    files += sorted((root / "bot" / "nlu").rglob("*.py"))
    files.append(root / "knowledge" / "text.py")  # folding rules used by the tokenizer
    files.append(root / "knowledge" / "facets.py")  # facet cues used by bot.nlu.facet_cues
    return [f for f in files if f.exists()]


def inputs_hash(files: Iterable[Path], root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256(_RECIPE_VERSION.encode())
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path_for(hash_: str) -> Path:
    return MODELS_DIR / f"thutuc-{hash_}.tar.gz"


def export_procedure_lookup(target: Path = GENERATED_LOOKUP) -> None:
    """Regenerate the NLU lookup table of procedure aliases from the curated knowledge base (into `target`)."""
    thutuc = [sys.executable, "-m", "bot.cli"]
    env = rasa_environment()
    subprocess.run(thutuc + ["kb", "load"], cwd=PROJECT_ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(thutuc + ["kb", "export-nlu", str(target)], cwd=PROJECT_ROOT, env=env, check=True)


def ensure_model(force: bool = False, quiet: bool = False) -> Path:
    """Return the model for the current inputs, training it first if it does not exist yet."""
    export_procedure_lookup()
    hash_ = inputs_hash(training_inputs())
    target = model_path_for(hash_)
    if target.exists() and not force:
        if not quiet:
            print(f"Mô hình đã có sẵn, không cần huấn luyện lại: {target.relative_to(PROJECT_ROOT)}")
        return target
    MODELS_DIR.mkdir(exist_ok=True)
    command = [
        str(Path(sys.executable).with_name("rasa")),
        "train",
        "--config", "config.yml",
        "--domain", "domain.yml",
        "--data", "data",
        "--out", str(MODELS_DIR),
        "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]
    subprocess.run(command, cwd=PROJECT_ROOT, env=rasa_environment(), check=True)
    _remove_stale_models(keep=target)
    return target


def rasa_environment() -> dict[str, str]:
    """Environment for Rasa subprocesses: our components importable, no telemetry, quiet TensorFlow."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _remove_stale_models(keep: Path, retain: int = 3) -> None:
    """Keep the newest few models (quick switching between branches) and delete the rest."""
    models = sorted(MODELS_DIR.glob("thutuc-*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [m for m in models if m != keep][retain - 1:]:
        old.unlink(missing_ok=True)

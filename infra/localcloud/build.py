"""What a function has on its path in Lambda, built as `sam build` builds it, for this machine.

A function sees its CodeUri, its layers and the runtime's own packages, nothing else: a layer with
``Metadata: BuildMethod: python3.x`` gets its ``requirements.txt`` pip-installed into a folder of its own
(rebuilt when the file changes); a layer without one is taken as it is (its ``python/`` folder, where
Lambda looks in /opt). Lambda's Python runtimes carry boto3 (with botocore, s3transfer, jmespath,
python-dateutil, urllib3 and six), so a function without layers may import it: it is built the same way.
The development virtualenv is never on a function's path, so a package missing from a layer fails here as
it would in AWS.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from localcloud.template import Function, Layer, TemplateError

log = logging.getLogger("localcloud.build")
BUILD_DIR = Path(os.environ.get("HOUQIN_BUILD_DIR", ".houqin/build"))
# What the runtime itself provides (/var/runtime); the version is this machine's, so builds work offline.
RUNTIME_REQUIREMENTS = f"boto3=={importlib.metadata.version('boto3')}\n"
_COMPLETE = ".complete"


class BuildError(RuntimeError):
    """pip could not build a layer; the message carries what pip said."""


def python_path(function: Function, build_dir: Path = BUILD_DIR) -> list[Path]:
    """Lambda's order: the task root, the layers (/opt/python), then the runtime's packages."""
    build_dir = build_dir.resolve()  # workers run in their CodeUri
    return [function.code_uri, *(layer_path(layer, build_dir) for layer in function.layers),
            runtime_path(build_dir)]


def layer_path(layer: Layer, build_dir: Path = BUILD_DIR) -> Path:
    if layer.build_method is None:
        return layer.content_uri / "python"
    if not layer.build_method.startswith("python"):
        raise TemplateError(f"{layer.logical_id}: BuildMethod {layer.build_method} cannot be built locally")
    requirements = layer.content_uri / "requirements.txt"
    if not requirements.is_file():
        raise TemplateError(f"{layer.logical_id}: BuildMethod {layer.build_method} needs {requirements}")
    return pip_target(requirements.read_text(encoding="utf-8"), build_dir / layer.logical_id) / "python"


def runtime_path(build_dir: Path = BUILD_DIR) -> Path:
    return pip_target(RUNTIME_REQUIREMENTS, build_dir / "runtime") / "python"


def pip_target(requirements: str, base: Path, pip_args: Sequence[str] = ()) -> Path:
    """``pip install -r <requirements> --target <folder>/python``, once per content: the folder is named by
    a digest of the requirements, pip's arguments and this Python, and older builds beside it are removed."""
    key = hashlib.sha256("\n".join([requirements, *pip_args, sys.version.split()[0]]).encode()).hexdigest()[:12]
    folder = base.parent / f"{base.name}-{key}"
    if (folder / _COMPLETE).exists():
        return folder
    with _locked(base.parent):
        if (folder / _COMPLETE).exists():  # another process built it while we waited
            return folder
        log.info("building %s (pip install --target, once while its requirements stay the same)", folder)
        staging = Path(tempfile.mkdtemp(prefix=f".{base.name}-", dir=base.parent))
        try:
            _pip_install(requirements, staging / "python", pip_args)
            (staging / _COMPLETE).write_text(requirements, encoding="utf-8")
            shutil.rmtree(folder, ignore_errors=True)
            staging.rename(folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        for old in base.parent.glob(f"{base.name}-*"):
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)
    return folder


def _pip_install(requirements: str, target: Path, pip_args: Sequence[str]) -> None:
    listing = target.parent / "requirements.txt"
    listing.write_text(requirements, encoding="utf-8")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-input", "-r", str(listing), "--target", str(target), *pip_args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BuildError(f"pip could not install {listing.name} into {target}:\n{done.stderr[-3000:]}")


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One build at a time across processes (two test workers may start a cloud at once)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

#!/usr/bin/env python3
"""Developer entry point that needs nothing but Python >= 3.11.

    python3 dev.py demo     # create .venv, install kaohe, run the offline demo
    python3 dev.py test     # create .venv, install kaohe with test tools, run the tests
    python3 dev.py install  # only create/refresh .venv

Any further arguments go to the command (e.g. `python3 dev.py test -k binding`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".kaohe-installed"


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def install() -> None:
    """Create .venv and install kaohe with its dev tools, unless already up to date."""
    if sys.version_info < (3, 11):
        sys.exit(f"kaohe needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print("creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print(
        "installing kaohe and its dependencies into .venv (first run takes a minute) …", flush=True
    )
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(_fingerprint())


def main(argv: list[str]) -> int:
    """Dispatch `demo`, `test` or `install`."""
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    if command not in {"demo", "test", "install"}:
        print(__doc__)
        return 2
    install()
    if command == "demo":
        return subprocess.call([str(PYTHON), "-m", "bot", "demo", *rest], cwd=ROOT)
    if command == "test":
        return subprocess.call([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Start-up of a figures worker process (bot.figures), before anything imports `charts`.

A spawned worker gets the parent's `sys.path`, which under `python -m bot` begins with the
working directory; a `charts/` folder made there after the parent started (the demo makes
one) would then be imported as the `charts` package. The worker looks first where the
parent found it.
"""

from __future__ import annotations

import sys


def start(root: str | None) -> None:
    """Put `root` (the folder holding the parent's `charts`) first, then start the worker."""
    if root and sys.path[:1] != [root]:
        sys.path.insert(0, root)
    from bot import figure_worker

    figure_worker.init_process()

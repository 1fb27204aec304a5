"""Loading a policy: a preset shipped in core/presets, or a TOML file of the unit's."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from core.policy import Policy, PolicyError, PolicyProblem, parse_policy


def preset_names() -> list[str]:
    """Names of the shipped presets."""
    folder = resources.files("core") / "presets"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def load_policy(spec: str) -> Policy:
    """`spec` is a preset name (`standard`, `xinyu`, …) or the path of a TOML file."""
    if spec in preset_names():
        text = (resources.files("core") / "presets" / f"{spec}.toml").read_text(encoding="utf-8")
        return parse_policy(text, source=f"preset {spec}")
    path = Path(spec)
    if not path.is_file():
        expected = f"内置方案（{'、'.join(preset_names())}）或一个存在的 .toml 文件"
        raise PolicyError([PolicyProblem("KAOHE_POLICY", spec, expected)], "KAOHE_POLICY")
    return parse_policy(path.read_text(encoding="utf-8"), source=str(path))

"""``accord`` as an operator runs it: a subprocess in a folder of its own, with only the
``ACCORD_*`` settings a test gives it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
REFUSED = 4


@dataclass
class Site:
    """One installation: a folder (accord.toml, .accord/) and its settings."""

    folder: Path
    settings: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("ACCORD_")}
        env.update({"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
                    "ACCORD_LOG_JSON": "false", "COLUMNS": "200", **self.settings, **extra})
        return subprocess.run(["accord", *args], cwd=self.folder, env=env, text=True,
                              capture_output=True, timeout=180, check=False)

    def config(self, text: str) -> None:
        (self.folder / "accord.toml").write_text(text, encoding="utf-8")


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def refused(result: subprocess.CompletedProcess[str], words: str) -> str:
    """The command stopped with exit code 4 and one error line containing ``words`` (the
    log lines of what ran before it, such as migrations, aside)."""
    assert result.returncode == REFUSED, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    assert words in lines[0], result.stderr
    assert result.stderr.rstrip().endswith(lines[0]), result.stderr
    return lines[0]


def site(root: Path, name: str, **settings: str) -> Site:
    folder = root / name
    folder.mkdir()
    return Site(folder, dict(settings))


__all__ = ["REFUSED", "Site", "ok", "refused", "site"]

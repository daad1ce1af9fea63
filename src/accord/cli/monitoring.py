"""``accord monitoring export``: the Prometheus alerting rules and the Grafana dashboard
for this configuration's ``[slas]`` and ``[alerts]``."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from accord.cli.console import out
from accord.cli.failures import CommandFailed, ExitCode
from accord.observability.alerting import (
    DASHBOARD_FILE,
    RULES_FILE,
    dashboard_json,
    rules_yaml,
)
from accord.observability.slas import alerts_of, slas_of
from accord.settings import read_config_file

app = typer.Typer(help="Alert rules and dashboards for Prometheus and Grafana.",
                  no_args_is_help=True)


def export_files(directory: Path) -> list[Path]:
    """Write the rules and the dashboard for ``accord.toml`` into ``directory``."""
    config = read_config_file()
    try:
        slas, alerts = slas_of(config), alerts_of(config)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        table = "slas" if exc.title == "Slas" else "alerts"
        raise CommandFailed(f"{table}.{where}: {problem['msg']}",
                            ExitCode.CONFIGURATION) from None
    directory.mkdir(parents=True, exist_ok=True)
    rules, board = directory / RULES_FILE, directory / DASHBOARD_FILE
    rules.write_text(rules_yaml(slas, alerts), encoding="utf-8")
    board.write_text(dashboard_json(slas, alerts), encoding="utf-8")
    return [rules, board]


@app.command("export")
def export(out_dir: Path = typer.Option(Path("monitoring"), "--out",
                                        help="folder to write the files into")) -> None:
    """Write accord-alerts.yml (Prometheus rule_files) and accord-dashboard.json (Grafana
    import) from [slas] and [alerts] in accord.toml."""
    for path in export_files(out_dir):
        out.print(f"wrote {path}", highlight=False)


__all__ = ["app", "export_files"]

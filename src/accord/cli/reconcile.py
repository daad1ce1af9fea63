"""``accord reconcile``: compare the systems, store the run, open exceptions, show totals."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from accord import bootstrap
from accord.canonical.period import Period
from accord.cli.console import out
from accord.cli.store import opened
from accord.engine.owners import load_owner_rules
from accord.engine.runtime import control_options, running
from accord.reconcile.heal import HEALERS
from accord.reconcile.service import Outcome, adapter_readers, reconcile, summary_line
from accord.settings import load_settings


def _systems(values: list[str] | None, configured: list[str]) -> list[str]:
    """The systems asked for (all configured ones by default), each one configured."""
    chosen = [part.strip() for value in values or [] for part in value.split(",")
              if part.strip()]
    unknown = sorted(set(chosen) - set(configured))
    if unknown:
        raise typer.BadParameter(f"unknown or not configured: {', '.join(unknown)}; choose "
                                 f"from {', '.join(configured) or 'no configured system'}",
                                 param_hint="--systems")
    return chosen or configured


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    report = outcome.report
    data: dict[str, Any] = {
        "run_id": report.run_id,
        "clean": outcome.clean,
        "differences": [
            {"entity": d.entity, "key": d.key, "kind": d.kind.value, "source": d.source_system,
             "target": d.target_system, "expected": d.expected, "actual": d.actual,
             "owner": d.owner.value, "target_ids": list(d.target_ids)}
            for d in report.differences],
        "control_totals": [
            {"system": t.system, "currency": t.currency, "subsidiary": t.subsidiary,
             "period": t.period, "measure": t.measure.value, "total": str(t.total.amount),
             "count": t.count} for t in report.totals],
        "total_differences": [
            {"currency": d.currency, "subsidiary": d.subsidiary, "period": d.period,
             "measure": d.measure.value, d.left_system: str(d.left.amount),
             d.right_system: str(d.right.amount)} for d in report.total_differences],
        "closed_exceptions": report.closed_exceptions,
        "gl_clean": outcome.gl.clean if outcome.gl is not None else None,
        "summary": summary_line(outcome),
        "healed": [{"entity": a.difference.entity, "key": a.difference.key,
                    "result": a.result.value, "detail": a.detail} for a in outcome.healed],
    }
    if outcome.gl is not None:
        data["gl"] = gl_problems(outcome)
    return data


def gl_problems(outcome: Outcome) -> list[str]:
    if outcome.gl is None:
        return []
    ledger = outcome.gl.ledger.mismatches if outcome.gl.ledger else []
    return [*(i.describe() for i in outcome.gl.unbalanced),
            *(g.describe() for g in outcome.gl.receivables),
            *(m.describe() for m in ledger)]


def _print(outcome: Outcome) -> None:
    report = outcome.report
    totals = Table("system", "currency", "subsidiary", "period", "measure", "total", "count",
                   title=f"control totals (run {report.run_id})")
    for t in report.totals:
        totals.add_row(t.system, t.currency, t.subsidiary, t.period, t.measure.value,
                       str(t.total.amount), str(t.count))
    out.print(totals)
    if report.total_differences:
        drift = Table("currency", "subsidiary", "period", "measure", "left", "right",
                      title="control totals that differ")
        for gap in report.total_differences:
            drift.add_row(gap.currency, gap.subsidiary, gap.period, gap.measure.value,
                          f"{gap.left_system} {gap.left.amount}",
                          f"{gap.right_system} {gap.right.amount}")
        out.print(drift)
    if report.differences:
        table = Table("entity", "key", "difference", "systems", "expected", "actual", "owner",
                      title="record differences")
        for d in report.differences:
            table.add_row(d.entity, d.key, d.kind.value, f"{d.source_system} > "
                          f"{d.target_system}", d.expected or "", d.actual or "", d.owner.value)
        out.print(table)
    for attempt in outcome.healed:
        out.print(f"heal {attempt.difference.entity} {attempt.difference.key}: "
                  f"{attempt.result.value}{' - ' + attempt.detail if attempt.detail else ''}")
    verdict = "[green]no differences[/]" if outcome.clean else \
        f"[red]{len(report.differences)} record differences, " \
        f"{len(report.total_differences)} control totals differ[/]"
    out.print(verdict)


def reconcile_command(
    period: Annotated[str | None, typer.Option(help="accounting period, YYYY-MM")] = None,
    systems: Annotated[list[str] | None, typer.Option(
        help="systems to read (repeat or comma-separate); default: every configured one")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    heal: Annotated[bool, typer.Option(
        help="re-drive missing postings through the registered flows, then re-check")
    ] = False,
    ledger: Annotated[Path | None, typer.Option(
        help="also export the ERP postings to this beancount file and bean-check them")
    ] = None,
) -> None:
    """Reconcile the systems: record differences, control totals and GL integrity. Exits 1
    when anything differs."""
    try:
        chosen = Period.parse(period) if period else None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--period") from error
    settings = load_settings()
    deployment = bootstrap.prepare(settings)
    with ExitStack() as stack:
        stack.callback(deployment.close)
        adapters = deployment.systems.adapters()
        wanted = _systems(systems, sorted(adapters))
        if heal:
            # healers re-drive flows through the engine: register them, run as a control
            # process (the flows themselves run on the workers)
            import accord.flows  # noqa: F401

            database = stack.enter_context(running(control_options())).database
        else:
            database = stack.enter_context(opened(settings))
        readers = adapter_readers(database, adapters, period=chosen, wanted=wanted)
        outcome = reconcile(database, load_owner_rules(), readers, period=chosen,
                            healers=HEALERS if heal else None, ledger_path=ledger)
    if as_json:
        typer.echo(json.dumps(outcome_json(outcome), indent=2))
    else:
        _print(outcome)
    raise typer.Exit(0 if outcome.clean else 1)


__all__ = ["gl_problems", "outcome_json", "reconcile_command"]

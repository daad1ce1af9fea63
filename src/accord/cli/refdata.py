"""``accord refdata``: versioned reference data - export, import, diff, propose, approve,
activate, rollback, postings, list, keygen.

A bundle file is the JSON ``accord refdata export`` writes: the SKU mapping, legal entities,
routing table and ownership policy of one version; with ``--sign``, wrapped with its source
environment, version and digest and signed with the environment key
(:mod:`accord.refdata.promotion`), which ``import`` and ``propose`` verify against the keys
of ``[environments.trusted]``. Steps that change something name the admin acting (``--as
NAME``, or ``ACCORD_ACTOR``); the audit log records them.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from pydantic import ValidationError

from accord.cli.console import err, out
from accord.cli.failures import CommandFailed, ExitCode
from accord.cli.store import opened
from accord.refdata import versions
from accord.refdata.bundle import RefdataBundle
from accord.refdata.changes import Change, diff
from accord.refdata.promotion import (
    EnvironmentKeyError,
    Promoted,
    PromotionError,
    SignedBundle,
    generate,
    is_signed,
    require_signature,
    sign,
    verify,
)
from accord.refdata.usage import posted_under
from accord.refdata.versions import RefdataError
from accord.settings import EnvironmentSettings, load_settings, secrets_dir
from accord.store import Database
from accord.store.models import RefdataUse
from accord.store.sealing import create_exclusive

app = typer.Typer(help="Versioned reference data: mappings, approval and rollback.",
                  no_args_is_help=True)

ACTOR = typer.Option(..., "--as", envvar="ACCORD_ACTOR",
                     help="the admin acting (recorded in the audit log)")
CHECK_ERP = typer.Option(False, "--check-erp",
                         help="also check every SKU's ERP item exists in the ERPs the bundle "
                              "routes to (needs the systems' settings)")


def _read(path: Path) -> Promoted:
    """The bundle of a file: a signed one verified against the trusted keys, an unsigned one
    only outside production."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if is_signed(document):
            promoted = verify(SignedBundle.model_validate(document),
                              EnvironmentSettings().trusted)
        else:
            require_signature(load_settings().environment)
            promoted = Promoted(RefdataBundle.model_validate(document))
        promoted.bundle.check_references()
    except PromotionError as error:
        raise CommandFailed(f"{error.message} (in {path})", ExitCode.REFUSED) from error
    except EnvironmentKeyError as error:
        raise CommandFailed(error.message, ExitCode.CONFIGURATION) from error
    except OSError as error:
        raise CommandFailed(f"bundle: cannot read {path}: {error.strerror}",
                            ExitCode.CONFIGURATION) from error
    except json.JSONDecodeError as error:
        raise CommandFailed(f"bundle: {path} is not JSON: {error}",
                            ExitCode.CONFIGURATION) from error
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise CommandFailed(f"{where}: {problem['msg']} (in {path})",
                            ExitCode.CONFIGURATION) from error
    except ValueError as error:
        raise CommandFailed(f"{error} (in {path})", ExitCode.CONFIGURATION) from error
    return promoted


def _check_erp(bundle: RefdataBundle) -> None:
    from accord import bootstrap
    from accord.refdata.validation import check_against_erps

    deployment = bootstrap.prepare()
    try:
        problems = check_against_erps(bundle, deployment.systems)
    finally:
        deployment.close()
    for problem in problems:
        err.print(f"[red]refused:[/] {problem}", highlight=False)
    if problems:
        raise CommandFailed(f"the bundle does not match the ERPs ({len(problems)} problems)",
                            ExitCode.PROBLEM_FOUND)


def _show(changes: list[Change] | tuple[Change, ...]) -> None:
    if not changes:
        out.print("no changes", highlight=False)
    for change in changes:
        mark = "material" if change.material else "        "
        out.print(f"{mark}  {change.describe()}", highlight=False)


def _refused(error: RefdataError) -> CommandFailed:
    return CommandFailed(error.message, ExitCode.CONFIGURATION)


@app.command("export")
def export(version: int | None = typer.Option(None, help="the version (default: active)"),
           output: Path | None = typer.Option(None, "--out", help="file (default: stdout)"),
           signed: bool = typer.Option(
               False, "--sign", help="wrap the bundle with this environment's name, the "
               "version and its digest, signed with the environment key "
               "(ACCORD_ENVIRONMENT_KEY), for import into another environment")) -> None:
    """Write a version's bundle as JSON."""
    settings = load_settings()
    with opened(settings) as database, database.session() as session:
        try:
            if version is None:
                found = versions.active(session)
                number, bundle = found.version, found.bundle
            else:
                number, bundle = version, versions.bundle_of(versions.get(session, version))
        except RefdataError as error:
            raise _refused(error) from error
    document = bundle.document()
    if signed:
        if settings.environment_key is None:
            raise CommandFailed("environment_key: not set; `accord refdata keygen` makes this "
                                "environment's key (or set ACCORD_ENVIRONMENT_KEY)",
                                ExitCode.CONFIGURATION)
        try:
            document = sign(bundle, environment=settings.environment, version=number,
                            key_text=settings.environment_key.get_secret_value()
                            ).model_dump(mode="json")
        except EnvironmentKeyError as error:
            raise CommandFailed(error.message, ExitCode.CONFIGURATION) from error
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}", highlight=False)


@app.command("import")
def import_command(path: Path = typer.Argument(..., help="a bundle file (JSON), signed or "
                                                        "not"),
                   actor: str | None = typer.Option(
                       None, "--as", help="store it as a proposal by this admin (without: "
                       "only validate and show the changes)"),
                   note: str | None = typer.Option(None, help="why"),
                   check_erp: bool = CHECK_ERP) -> None:
    """Verify a bundle (a signed one against [environments.trusted]) and show what it would
    change against the active version; with --as, store it as a proposal, audited with the
    environment it came from."""
    promoted = _read(path)
    if promoted.source is not None:
        out.print(f"signature verified: {promoted.source.environment} version "
                  f"{promoted.source.version}, key {promoted.key_id}", highlight=False)
    if actor is not None:
        _propose(promoted, actor, note, check_erp)
        return
    if check_erp:
        _check_erp(promoted.bundle)
    with opened() as database, database.session() as session:
        found = versions.active(session)
    out.print(f"valid; against active version {found.version}:", highlight=False)
    _show(diff(found.bundle, promoted.bundle))


@app.command("propose")
def propose(path: Path = typer.Argument(..., help="a bundle file (JSON)"),
            actor: str = ACTOR, note: str | None = typer.Option(None, help="why"),
            check_erp: bool = CHECK_ERP) -> None:
    """Store a bundle as the next version, proposed by --as."""
    _propose(_read(path), actor, note, check_erp)


def _propose(promoted: Promoted, actor: str, note: str | None, check_erp: bool) -> None:
    if check_erp:
        _check_erp(promoted.bundle)
    with opened() as database, database.session() as session:
        try:
            proposal = versions.propose(session, promoted.bundle, by=actor, note=note,
                                        source=promoted.audit_detail())
        except RefdataError as error:
            raise _refused(error) from error
    _show(proposal.changes)
    needs = ("financially material: a second admin must approve it before activation"
             if proposal.material else "not material: it can be activated")
    out.print(f"proposed version {proposal.version} ({needs})", highlight=False)


@app.command("approve")
def approve(version: int = typer.Argument(...), actor: str = ACTOR) -> None:
    """Approve a proposed version (not by its proposer)."""
    with opened() as database, database.session() as session:
        try:
            versions.approve(session, version, by=actor)
        except RefdataError as error:
            raise _refused(error) from error
    out.print(f"version {version} approved by {actor}", highlight=False)


@app.command("activate")
def activate(version: int = typer.Argument(...), actor: str = ACTOR) -> None:
    """Make a version the one new postings map with."""
    with opened() as database, database.session() as session:
        try:
            versions.activate(session, version, by=actor)
        except RefdataError as error:
            raise _refused(error) from error
    out.print(f"version {version} is active", highlight=False)


@app.command("rollback")
def rollback(actor: str = ACTOR) -> None:
    """Reactivate the version the active one replaced; list the postings made under the
    rolled-back version, with what maps differently now."""
    with opened() as database, database.session() as session:
        try:
            done = versions.rollback(session, by=actor)
        except RefdataError as error:
            raise _refused(error) from error
        affected = [_correction(use) for use in done.affected]
    out.print(f"version {done.rolled_back} rolled back; version {done.restored} is active "
              "for new postings", highlight=False)
    _show(done.changes)
    _list_postings(done.rolled_back, affected)


def _correction(use: RefdataUse) -> str:
    line = f"  {use.entity_type} {use.canonical_id} -> {use.system} {use.system_id}"
    if use.correlation_id:
        line += f"; correct with: accord replay {use.correlation_id}"
    return line


def _list_postings(version: int, lines: list[str]) -> None:
    out.print(f"{len(lines)} postings made under version {version} (each correction re-runs "
              "the posting with the active version; the ERP record is updated, not doubled):",
              highlight=False)
    for line in lines:
        out.print(line, highlight=False, soft_wrap=True)


@app.command("postings")
def postings(version: int = typer.Argument(...)) -> None:
    """The ERP postings made under a version, with the correction of each."""
    with opened() as database, database.session() as session:
        lines = [_correction(use) for use in posted_under(session, version)]
    _list_postings(version, lines)


@app.command("diff")
def diff_command(version: int = typer.Argument(..., help="the version to compare"),
                 against: int | None = typer.Option(None, help="base version (default: "
                                                                 "the active one)"),
                 replay_period: str | None = typer.Option(
                     None, "--replay", metavar="PERIOD",
                     help="also re-map the period's invoices (YYYY-MM) under the version, "
                          "posting nothing, and report which ERP postings would change")
                 ) -> None:
    """What ``version`` changes against the active version (or --against)."""
    with opened() as database:
        with database.session() as session:
            try:
                base = (versions.active(session).bundle if against is None
                        else versions.bundle_of(versions.get(session, against)))
                other = versions.bundle_of(versions.get(session, version))
            except RefdataError as error:
                raise _refused(error) from error
        _show(diff(base, other))
        if replay_period is not None:
            _what_if(database, replay_period, base, other)


def _what_if(database: Database, period: str, base: RefdataBundle,
             other: RefdataBundle) -> None:
    from accord import bootstrap
    from accord.refdata.whatif import replay_period

    deployment = bootstrap.prepare()
    try:
        report = replay_period(database, deployment.systems, period, before=base, after=other)
    except ValueError as error:
        raise CommandFailed(str(error), ExitCode.CONFIGURATION) from error
    finally:
        deployment.close()
    out.print(f"what-if {period}: {len(report.changed)} of {report.examined} invoices would "
              "post differently", highlight=False)
    for shift in report.shifts:
        out.print(f"  {shift.describe()}", highlight=False)
    for invoice in report.changed:
        out.print(f"  invoice {invoice}", highlight=False)


@app.command("keygen")
def keygen(force: bool = typer.Option(False, "--force",
                                      help="replace an existing environment key")) -> None:
    """Make this environment's signing key: the private key goes to the secret file
    ACCORD_ENVIRONMENT_KEY (in ACCORD_SECRETS_DIR, else <data_dir>/secrets), the public key
    is printed, for [environments.trusted] of the environments that import from this one."""
    settings = load_settings()
    directory = secrets_dir() or settings.data_dir / "secrets"
    path = directory / "ACCORD_ENVIRONMENT_KEY"
    if path.exists() and not force:
        raise CommandFailed(f"environment_key: {path} exists; pass --force to replace it "
                            "(environments trusting its public key must then be given the "
                            "new one)", ExitCode.CONFIGURATION)
    pair = generate()
    path.unlink(missing_ok=True)
    create_exclusive(path, pair.private)
    err.print(f"wrote the private key to {path} (key {pair.key_id}); trust it elsewhere with "
              f"[environments.trusted] {settings.environment} = \"{pair.public}\"",
              highlight=False)
    out.print(pair.public, highlight=False)


@app.command("list")
def list_command() -> None:
    """Every stored version: status, who proposed, approved and activated it."""
    with opened() as database, database.session() as session:
        rows = versions.history(session)
        lines = [f"{row.number:>4}  {row.status:<11} {'material' if row.material else '-':<8}"
                 f" proposed by {row.proposed_by}"
                 + (f", approved by {row.approved_by}" if row.approved_by else "")
                 + (f", activated by {row.activated_by}" if row.activated_by else "")
                 for row in rows]
    if not lines:
        out.print("no stored versions: the shipped files are version 1 and active",
                  highlight=False)
    for line in lines:
        out.print(line, highlight=False)


__all__ = ["app"]

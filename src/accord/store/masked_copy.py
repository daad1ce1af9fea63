"""A masked copy of a store, for a test environment: every table of :mod:`accord.store.models`
copied into a fresh database with personal data replaced by pseudonyms.

What is masked, by what a field means (:mod:`accord.canonical.privacy`):

* in the JSON columns that hold records and payloads (golden records, inbox payloads, the
  timeline's details, exceptions' errors, outbox envelopes, the write ledger, trace
  attributes), every text value under a personal or identifying field - names, e-mails,
  addresses, phones, tax ids, contacts, company names and domains - at any depth (a
  country or currency code inside an address is kept: taxes and routing read it);
* in every text column and every other text inside those JSON values, any of the originals
  found above, and any e-mail address.

A pseudonym is a keyed digest of the original (``masked-<12 hex>``, an e-mail becomes
``masked-<12 hex>@example.invalid``): the same original gives the same pseudonym everywhere
in one copy, so records still join on it, and nothing of it can be read back without the
copy's key, which is discarded. Amounts, ids, statuses and dates are copied as they are.

Not copied: API tokens and console sessions (production's credentials; the copy makes its
own), the audit log (its hash chain covers the original values; the copy starts its own),
matching keys (keyed digests of the real names and tax ids; a customer in the copy is found
by its ids, and its keys are written again when its record changes), and the engine's own
tables (flow checkpoints). The copy is marked with its environment and the database it came
from (:mod:`accord.store.environment`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Column, String, Table, Text, func, select
from sqlalchemy.engine import make_url

from accord.canonical.privacy import IDENTIFYING_WORDS, is_personal, normalise
from accord.errors import PermanentError
from accord.settings import Environment
from accord.store.db import Database
from accord.store.environment import peek, write
from accord.store.migrate import current_revision, head_revision, upgrade
from accord.store.models import Base
from accord.store.sealing import SealedJSON, SealedText

NOT_COPIED = ("api_token", "console_session", "audit_log", "match_key", "environment_mark")
RECORD_COLUMNS = {("trace_span", "attributes"), ("trace_span", "events")}
"""Plain JSON columns that hold records (the sealed JSON columns all do); the other plain
JSON columns hold accord's own data (reference data, field sources, control totals)."""
KEPT_FIELDS = frozenset({"country", "country_code", "currency", "state", "region", "type",
                         "kind", "id", "object"})
"""Inside a personal value (an address, a tax profile): codes that identify no one and that
taxes and routing read."""
PLAIN_TEXT_OK = 4
"""Originals shorter than this are masked where they stand, but not searched for inside
other text (two letters would match everywhere)."""
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
BATCH = 500


class MaskCopyError(PermanentError):
    """A masked copy that must not be made (into production, into a store in use)."""

    code = "mask_copy"


def _personal(key: str) -> bool:
    return is_personal(key) or normalise(key) in IDENTIFYING_WORDS


@dataclass
class Pseudonyms:
    """Original -> pseudonym, keyed by a secret of this copy only."""

    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    known: dict[str, str] = field(default_factory=dict)
    _pattern: re.Pattern[str] | None = None

    def of(self, original: str) -> str:
        found = self.known.get(original)
        if found is None:
            digest = hmac.new(self.key, original.strip().casefold().encode(),
                              hashlib.sha256).hexdigest()[:12]
            found = f"masked-{digest}@example.invalid" if EMAIL.fullmatch(original.strip()) \
                else f"masked-{digest}"
            self.known[original] = found
            self._pattern = None
        return found

    def learn(self, value: Any, *, personal: bool = False) -> None:
        """Record the personal originals inside a JSON value."""
        if isinstance(value, dict):
            for key, item in value.items():
                if not (personal and normalise(str(key)) in KEPT_FIELDS):
                    self.learn(item, personal=personal or _personal(str(key)))
        elif isinstance(value, list):
            for item in value:
                self.learn(item, personal=personal)
        elif isinstance(value, str) and personal and value.strip():
            self.of(value)

    def _search(self) -> re.Pattern[str] | None:
        if self._pattern is None:
            words = sorted((original for original in self.known
                            if len(original.strip()) >= PLAIN_TEXT_OK),
                           key=len, reverse=True)
            if not words:
                return None
            self._pattern = re.compile(
                r"(?<!\w)(" + "|".join(re.escape(word) for word in words) + r")(?!\w)",
                re.IGNORECASE)
        return self._pattern

    def text(self, value: str) -> str:
        """Free text with every known original and every e-mail address replaced."""
        pattern = self._search()
        if pattern is not None:
            lowered = {original.casefold(): masked for original, masked in self.known.items()}
            value = pattern.sub(lambda m: lowered.get(m.group(0).casefold(), m.group(0)),
                                value)
        return EMAIL.sub(lambda m: m.group(0) if m.group(0).endswith("@example.invalid")
                         else self.of(m.group(0)), value)

    def json(self, value: Any, *, personal: bool = False) -> Any:
        if isinstance(value, dict):
            return {key: (item if personal and normalise(str(key)) in KEPT_FIELDS
                          else self.json(item, personal=personal or _personal(str(key))))
                    for key, item in value.items()}
        if isinstance(value, list):
            return [self.json(item, personal=personal) for item in value]
        if isinstance(value, str):
            return self.of(value) if personal and value.strip() else self.text(value)
        return value


@dataclass(frozen=True)
class CopyReport:
    rows: Mapping[str, int]
    masked: int
    not_copied: tuple[str, ...]


def _tables() -> list[Table]:
    return [table for table in Base.metadata.sorted_tables if table.name not in NOT_COPIED]


def _json_columns(table: Table) -> list[Column[Any]]:
    return [column for column in table.columns
            if isinstance(column.type, SealedJSON)
            or (isinstance(column.type, JSON) and (table.name, column.name) in RECORD_COLUMNS)]


def _text_columns(table: Table) -> list[Column[Any]]:
    return [column for column in table.columns
            if isinstance(column.type, SealedText | String | Text)]


def _rows(database: Database, table: Table) -> Iterable[dict[str, Any]]:
    order = list(table.primary_key.columns)
    with database.engine.connect() as connection:
        result = connection.execution_options(yield_per=BATCH).execute(
            select(table).order_by(*order))
        for row in result.mappings():
            yield dict(row)


def _check_target(source: Database, target: Database, environment: Environment) -> None:
    if environment is Environment.PRODUCTION:
        raise MaskCopyError("environment: a masked copy is for development or test, never "
                            "production")
    if source.engine.url == target.engine.url:
        raise MaskCopyError("to: the copy must go to another database than --from")
    mark = peek(target.engine)
    if mark is not None and mark.environment is Environment.PRODUCTION:
        raise MaskCopyError(f"to: {mark.describe()} is not written to by a masked copy")
    if current_revision(target.engine) is not None:
        raise MaskCopyError("to: the database already holds an accord store; give an empty "
                            "one (a new SQLite file or an empty PostgreSQL database)")
    found = current_revision(source.engine)
    if found != head_revision():
        raise MaskCopyError(f"from: the store is at schema {found or 'none'}, not "
                            f"{head_revision()}; run `accord db upgrade` on it first")


def mask_copy(source: Database, target: Database, *,
              environment: Environment = Environment.TEST) -> CopyReport:
    """Copy ``source`` into the empty ``target`` with personal data pseudonymised; the
    target is migrated, filled and marked as a masked copy of ``source``."""
    _check_target(source, target, environment)
    names = Pseudonyms()
    tables = _tables()
    for table in tables:  # first every original, so free text anywhere can be masked
        columns = _json_columns(table)
        if columns:
            for row in _rows(source, table):
                for column in columns:
                    names.learn(row[column.name])
    upgrade(target.engine)
    counts: dict[str, int] = {}
    with target.engine.begin() as connection:
        for table in tables:
            json_columns = {column.name for column in _json_columns(table)}
            text_columns = {column.name for column in _text_columns(table)}
            batch: list[dict[str, Any]] = []
            counts[table.name] = 0
            for row in _rows(source, table):
                for name, value in row.items():
                    if value is None:
                        continue
                    if name in json_columns:
                        row[name] = names.json(value)
                    elif name in text_columns and isinstance(value, str):
                        row[name] = names.text(value)
                batch.append(row)
                if len(batch) >= BATCH:
                    connection.execute(table.insert(), batch)
                    counts[table.name] += len(batch)
                    batch = []
            if batch:
                connection.execute(table.insert(), batch)
                counts[table.name] += len(batch)
        _reset_sequences(connection, tables)
    shown = make_url(str(source.engine.url)).render_as_string(hide_password=True)
    with target.session() as session:
        write(session, environment, masked_from=shown[:255])
    return CopyReport(counts, len(names.known), NOT_COPIED)


def _reset_sequences(connection: Any, tables: list[Table]) -> None:
    """PostgreSQL: identity sequences continue after the copied ids."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True:
                top = connection.execute(select(func.max(column))).scalar()
                if top is not None:
                    connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                        f"'{column.name}'), {int(top)})")


__all__ = ["NOT_COPIED", "CopyReport", "MaskCopyError", "Pseudonyms", "mask_copy"]

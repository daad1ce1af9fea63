"""One notification pass: tell each owning team about its exceptions and SLA breaches.

For every open exception the pass works out where it stands against its owner's SLA
(``[slas.exceptions.<owner>]``, counted in business hours where configured):

| state    | when                                   | told                                  |
|----------|----------------------------------------|---------------------------------------|
| new      | not yet notified                       | the owner                             |
| aging    | past ``aging_ratio`` of its SLA         | the owner (a reminder)                |
| breach   | past its SLA                           | the owner, and its escalation contacts |

An exception is told about a state once (a later pass skips what a ``notification`` row
already records), and only about its latest state: one first seen after its SLA gets one
breach message, not new, aging and breach. Records past a business SLA (an invoice not in
the ERP within 15 minutes) are told to their owner once per record (:mod:`.probes`).
When one owner would get more than ``digest_threshold`` messages in a pass they go as one
digest per channel instead. Every message sent (or failed) is a ``notification`` row, shown
on the exception in the console; a failed one is tried again next pass.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from accord.engine.exception_queue import ExceptionStatus
from accord.notify.channels import DeliveryFailed, Message, send_email, send_webhook
from accord.notify.probes import Breach, probes
from accord.notify.settings import NotificationSettings, OwnerContacts
from accord.observability.slas import Slas
from accord.store import Database
from accord.store.models import ExceptionRecord, Notification

log = logging.getLogger(__name__)
DIGEST_LINES = 50


class Reason(StrEnum):
    NEW = "new"
    AGING = "aging"
    BREACH = "breach"
    ESCALATION = "escalation"
    SLA_BREACH = "sla_breach"


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


RANK = {Reason.NEW: 0, Reason.AGING: 1, Reason.BREACH: 2}


@dataclass(frozen=True)
class Item:
    """One thing to tell an owner about."""

    owner: str
    reason: Reason
    subject: str
    """``exception:<id>`` or ``sla:<sla>:<key>``: what the dedup key is about."""
    title: str
    lines: tuple[str, ...]
    exception_id: int | None = None


@dataclass
class PassResult:
    sent: int = 0
    failed: int = 0
    items: list[Item] = field(default_factory=list)


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f} h"


def exception_items(database: Database, settings: NotificationSettings, slas: Slas,
                    now: datetime) -> list[Item]:
    with database.session() as session:
        rows = list(session.scalars(select(ExceptionRecord).where(
            ExceptionRecord.status == ExceptionStatus.OPEN.value).order_by(
            ExceptionRecord.id)))
        told: dict[int, set[str]] = defaultdict(set)
        for exception_id, reason in session.execute(select(
                Notification.exception_id, Notification.reason).where(
                Notification.exception_id.in_([row.id for row in rows]),
                Notification.status == "sent")):
            told[int(exception_id or 0)].add(str(reason))
        session.expunge_all()
    items: list[Item] = []
    for row in rows:
        contacts = settings.contacts(row.owner)
        if contacts is None:
            continue
        sla = slas.exception_sla(row.owner)
        waited = slas.age(row.owner, row.created_at, now)
        limit = timedelta(hours=sla.hours) if sla else None
        state = Reason.NEW
        if limit is not None and waited >= limit:
            state = Reason.BREACH
        elif limit is not None and waited >= limit * settings.aging_ratio:
            state = Reason.AGING
        done = told[row.id]
        link = f"{settings.console_url.rstrip('/')}/console/exceptions/{row.id}"
        detail = (f"owner: {row.owner} · kind: {row.kind} · system: {row.system or '-'}",
                  f"record: {row.entity_type or ''} {row.record_ref or '-'}"
                  + (f" · field: {row.field}" if row.field else ""),
                  f"reason: {row.reason}",
                  f"open for {_hours(waited)}" + (f" of {sla.hours:g} "
                                                  f"{'business ' if sla.business_hours else ''}"
                                                  f"hours allowed" if sla else ""),
                  link)
        best = max((RANK[Reason(r)] for r in done if Reason(r) in RANK), default=-1)
        if RANK[state] > best:
            word = {Reason.NEW: "new exception", Reason.AGING: "exception aging",
                    Reason.BREACH: "exception past its SLA"}[state]
            items.append(Item(row.owner, state, f"exception:{row.id}",
                              f"{word} {row.id} ({row.kind})", detail, row.id))
        if state is Reason.BREACH and Reason.ESCALATION.value not in done \
                and contacts.escalates:
            items.append(Item(row.owner, Reason.ESCALATION, f"exception:{row.id}",
                              f"escalation: exception {row.id} past its SLA ({row.owner})",
                              detail, row.id))
    return items


def breach_items(database: Database, slas: Slas, now: datetime) -> list[Item]:
    found: list[Breach] = [breach for probe in probes() for breach in probe(database, slas,
                                                                               now)]
    if not found:
        return []
    with database.session() as session:
        told = {str(key).split("|", 1)[0] for key in session.scalars(select(
            Notification.dedup_key).where(Notification.reason == Reason.SLA_BREACH.value,
                                         Notification.status == "sent"))}
    return [Item(b.owner, Reason.SLA_BREACH, f"sla:{b.sla}:{b.key}",
                 f"SLA breached: {b.sla.replace('_', ' ')} for {b.key}",
                 (f"waited {b.waited_seconds / 60:.0f} min; the SLA allows "
                  f"{b.limit_seconds / 60:g} min",))
            for b in found if f"{Reason.SLA_BREACH.value}:sla:{b.sla}:{b.key}" not in told]


def _key(item: Item, channel: Channel) -> str:
    return f"{item.reason.value}:{item.subject}|{channel.value}"


def _claim(database: Database, item: Item, channel: Channel, recipient: str,
           title: str, digest: int) -> int | None:
    """Record the message before sending it; None when it was already recorded."""
    try:
        with database.session() as session:
            row = Notification(dedup_key=_key(item, channel), reason=item.reason.value,
                               owner=item.owner, channel=channel.value,
                               recipient=recipient[:255], exception_id=item.exception_id,
                               subject=title[:255], digest=digest, status="sending")
            session.add(row)
            session.flush()
            return int(row.id)
    except IntegrityError:
        return None


def _settle(database: Database, ids: list[int], error: str | None) -> None:
    with database.session() as session:
        if error is None:
            session.execute(update(Notification).where(Notification.id.in_(ids)).values(
                status="sent"))
            return
        for row_id in ids:  # frees the dedup key: the next pass tries again
            session.execute(update(Notification).where(Notification.id == row_id).values(
                status="failed", error=error[:500],
                dedup_key=Notification.dedup_key + f"#failed-{row_id}"))


def _deliver(database: Database, settings: NotificationSettings, contacts: OwnerContacts,
             items: list[Item], escalation: bool, result: PassResult) -> None:
    emails = contacts.escalate_email if escalation else contacts.email
    hook = contacts.escalate_webhook if escalation else contacts.webhook
    channels: list[tuple[Channel, str]] = []
    if emails:
        channels.append((Channel.EMAIL, ", ".join(emails)))
    if hook:
        channels.append((Channel.WEBHOOK, hook))
    digest = len(items) > settings.digest_threshold
    groups = [items] if digest else [[item] for item in items]
    for group in groups:
        if digest:
            owner = group[0].owner
            title = f"[accord] {len(group)} {'escalations' if escalation else 'notices'} " \
                    f"for {owner}"
            body = "\n".join(f"- {item.title}: {item.lines[-1]}" for item in group[:DIGEST_LINES])
            if len(group) > DIGEST_LINES:
                body += f"\n... and {len(group) - DIGEST_LINES} more"
        else:
            title = f"[accord] {group[0].title}"
            body = "\n".join(group[0].lines)
        message = Message(title, body)
        for channel, recipient in channels:
            claimed = [row for item in group
                       if (row := _claim(database, item, channel, recipient, title,
                                         len(group) if digest else 0)) is not None]
            if not claimed:
                continue
            try:
                if channel is Channel.EMAIL:
                    send_email(settings, tuple(emails), message)
                else:
                    send_webhook(settings, str(hook), message)
            except DeliveryFailed as error:
                log.warning("notification not delivered", extra={
                    "channel": channel.value, "owner": group[0].owner, "error": str(error)})
                _settle(database, claimed, str(error))
                result.failed += 1
                continue
            _settle(database, claimed, None)
            result.sent += 1


def notify(database: Database, settings: NotificationSettings, slas: Slas,
           now: datetime) -> PassResult:
    """One pass (see the module's docstring); returns how many messages went out."""
    result = PassResult()
    if not settings.configured:
        return result
    items = exception_items(database, settings, slas, now) + breach_items(database, slas, now)
    result.items = items
    by_owner: dict[tuple[str, bool], list[Item]] = defaultdict(list)
    for item in items:
        by_owner[(item.owner, item.reason is Reason.ESCALATION)].append(item)
    for (owner, escalation), group in sorted(by_owner.items()):
        contacts = settings.contacts(owner)
        if contacts is not None:
            _deliver(database, settings, contacts, group, escalation, result)
    return result


__all__ = ["Channel", "Item", "PassResult", "Reason", "notify"]

"""The two ways an owner is told: an e-mail over SMTP and a Slack-compatible incoming
webhook (a JSON body ``{"text": ...}``). Each raises :class:`DeliveryFailed` naming what
went wrong, never a password or a webhook's URL."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

import httpx

from accord.notify.settings import NotificationSettings


class DeliveryFailed(Exception):
    """A message could not be handed over."""


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def send_email(settings: NotificationSettings, to: tuple[str, ...], message: Message) -> None:
    smtp = settings.smtp
    if smtp is None:
        raise DeliveryFailed("no [notifications.smtp] configured")
    email = EmailMessage()
    email["From"] = smtp.sender
    email["To"] = ", ".join(to)
    email["Subject"] = message.subject
    email.set_content(message.body)
    try:
        client: smtplib.SMTP = (
            smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_seconds,
                             context=ssl.create_default_context())
            if smtp.ssl else smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds))
        with client:
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            if smtp.username and smtp.password is not None:
                client.login(smtp.username, smtp.password.get_secret_value())
            client.send_message(email)
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryFailed(f"SMTP {smtp.host}:{smtp.port}: {type(error).__name__}") from None


def send_webhook(settings: NotificationSettings, name: str, message: Message) -> None:
    url = settings.webhooks.get(name)
    if url is None:
        raise DeliveryFailed(f"webhook {name!r}: no URL configured")
    text = f"*{message.subject}*\n{message.body}"
    try:
        answer = httpx.post(url.get_secret_value(), json={"text": text}, timeout=10)
    except httpx.HTTPError as error:
        raise DeliveryFailed(f"webhook {name!r}: {type(error).__name__}") from None
    if answer.status_code >= 300:
        raise DeliveryFailed(f"webhook {name!r}: HTTP {answer.status_code}")


__all__ = ["DeliveryFailed", "Message", "send_email", "send_webhook"]

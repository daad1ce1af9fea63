"""Owners told: e-mail and Slack-compatible webhook notifications of exceptions and SLA
breaches (:mod:`.notifier`), configured in ``[notifications]`` (:mod:`.settings`)."""

from accord.notify.notifier import PassResult, Reason, notify
from accord.notify.settings import NotificationSettings, notification_settings

__all__ = ["NotificationSettings", "PassResult", "Reason", "notification_settings",
           "notify"]

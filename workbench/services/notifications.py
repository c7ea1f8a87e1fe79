"""Notifications for the signed-in person: their inbox, the outbound channels an admin configures
(a webhook, e-mail), and sending what is due. A channel's secrets (the webhook URL, the SMTP
password) stay in the OS keyring of each machine that sends, never in the store."""

from __future__ import annotations

import json
import smtplib
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from workbench.errors import InvalidInputError, PermissionDeniedError
from workbench.governance.secrets import get_secret, store_secret
from workbench.services.identity import acting
from workbench.store import Store
from workbench.store.repos.notifications import Notification, OutboxItem

__all__ = ["SendReport", "configure_email", "configure_webhook", "inbox", "mark_read",
           "remove_channel", "send_due"]

SECRET_KIND = "notify"
TIMEOUT_S = 10.0


def _secret_name(store: Store, channel: str) -> str:
    return f"{store.store_id()}:{channel}"


def _admin(store: Store, actor: str) -> None:
    with store.read() as uow:
        user = acting(uow, actor)
    if "admin" not in user.roles:
        raise PermissionDeniedError(f"{actor!r} may not configure notifications: that needs the "
                                    "role admin", hint="ask an admin")


def inbox(store: Store, actor: str, *, unread_only: bool = False) -> list[Notification]:
    """The person's notifications, newest first (only the unread ones when asked)."""
    with store.read() as uow:
        acting(uow, actor)
        return uow.notifications.inbox(actor, unread_only=unread_only)


def mark_read(store: Store, actor: str, ids: list[int] | None = None) -> int:
    """Mark the person's notifications read (these ids, else all); how many changed."""
    with store.write(actor) as uow:
        acting(uow, actor)
        return uow.notifications.mark_read(actor, ids)


def configure_webhook(store: Store, actor: str, url: str) -> None:
    """Send notifications to ``url`` as Slack/Teams-compatible JSON ``{"text": …}`` (the URL is
    kept in this machine's keyring)."""
    _admin(store, actor)
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError("the webhook must be an http:// or https:// URL",
                                hint="e.g. the incoming-webhook URL Slack or Teams gives you")
    store_secret(SECRET_KIND, _secret_name(store, "webhook"), url.strip())
    with store.write(actor) as uow:
        uow.notifications.set_channel("webhook", {"host": parts.hostname, "scheme": parts.scheme})


def configure_email(store: Store, actor: str, *, host: str, port: int, sender: str, to: list[str],
                    user: str = "", password: str | None = None, starttls: bool = False) -> None:
    """Send notifications by e-mail through ``host:port`` (the password goes to the keyring)."""
    _admin(store, actor)
    if not host or not 0 < port < 65536 or "@" not in sender or not to or any("@" not in t for t in to):
        raise InvalidInputError("e-mail needs --host, a --port between 1 and 65535, a --from address "
                                "and at least one --to address")
    if password:
        store_secret(SECRET_KIND, _secret_name(store, "email"), password)
    with store.write(actor) as uow:
        uow.notifications.set_channel("email", {"host": host, "port": port, "from": sender,
                                                "to": list(to), "user": user, "starttls": starttls})


def remove_channel(store: Store, actor: str, channel: str) -> None:
    """Stop sending notifications to a channel (admins)."""
    _admin(store, actor)
    with store.write(actor) as uow:
        uow.notifications.remove_channel(channel)


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    taken_by_others: int = 0
    errors: list[str] = field(default_factory=list)
    unusable: list[str] = field(default_factory=list)  # channels this machine lacks secrets for


def _post(url: str, item: OutboxItem, store_id: str) -> None:
    body = json.dumps({"text": item.text, "kind": item.kind, "target": item.target,
                       "id": item.id}).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Idempotency-Key": f"{store_id}-{item.id}",
        "User-Agent": "mlops-workbench"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:  # noqa: S310 (http/https only)
            if not 200 <= answer.status < 300:
                raise OSError(f"the webhook answered HTTP {answer.status}")
    except urllib.error.HTTPError as exc:
        raise OSError(f"the webhook answered HTTP {exc.code}") from None


def _mail(config: dict[str, Any], password: str | None, item: OutboxItem, store_id: str) -> None:
    message = EmailMessage()
    message["Subject"] = f"[MLOps Workbench] {item.kind}: {item.target}"
    message["From"] = config["from"]
    message["To"] = ", ".join(config["to"])
    message["Message-ID"] = f"<outbox-{item.id}.{store_id}@mlops-workbench>"
    message.set_content(item.text)
    with smtplib.SMTP(config["host"], int(config["port"]), timeout=TIMEOUT_S) as smtp:
        if config.get("starttls"):
            smtp.starttls()
        if config.get("user"):
            smtp.login(config["user"], password or "")
        smtp.send_message(message)


def send_due(store: Store, actor: str, sender: str | None = None) -> SendReport:
    """Send what is due over the channels this machine holds the secrets of; ``sender`` names
    this sender in the claims (default: the person and this process). Each outbox row is claimed
    in the store before it is sent, so with several workbenches open each notification goes out
    once; a failed send is tried again with back-off (2, 4, 8 … seconds, at most 5 minutes;
    eight tries), and the outbox says why it failed."""
    import os

    sender = sender or f"{actor}@{socket.gethostname()}:{os.getpid()}"
    report = SendReport()
    with store.read() as uow:
        acting(uow, actor)
        channels = uow.notifications.channels()
    usable: dict[str, tuple[dict[str, Any], str | None]] = {}
    for channel, config in channels.items():
        secret = get_secret(SECRET_KIND, _secret_name(store, channel))
        if channel == "webhook" and not secret:
            report.unusable.append("webhook (its URL is not in this machine's keyring)")
            continue
        if channel == "email" and config.get("user") and not secret:
            report.unusable.append("email (its password is not in this machine's keyring)")
            continue
        usable[channel] = (config, secret)
    if not usable:
        return report
    with store.read() as uow:
        due = uow.notifications.due(list(usable))
    store_id = store.store_id()
    for item in due:
        with store.write(actor) as uow:
            if not uow.notifications.claim(item.id, sender):
                report.taken_by_others += 1
                continue
        config, secret = usable[item.channel]
        try:
            if item.channel == "webhook":
                assert secret is not None
                _post(secret, item, store_id)
            else:
                _mail(config, secret, item, store_id)
        except (OSError, smtplib.SMTPException, AssertionError) as exc:
            retry = min(300.0, 2.0 ** (item.attempts + 1))
            with store.write(actor) as uow:
                uow.notifications.failed(item.id, sender, f"{type(exc).__name__}: {exc}", retry)
            report.failed += 1
            report.errors.append(f"{item.channel} #{item.id}: {exc}")
            continue
        with store.write(actor) as uow:
            uow.notifications.sent(item.id, sender)
        report.sent += 1
    return report

"""Apprise channel: any Apprise URL (Slack, Teams, ntfy, json://, ...).

The URL usually embeds a token, so it is only ever read from the variable
named by ``url_env``, at send time. Apprise reports failure as False rather
than raising; we turn it into a retryable :class:`SendResult`.

Apprise URLs come from the operator's environment and are trusted, loopback
and private servers included (an intranet ntfy or Mattermost is common). One
thing is never allowed unless the channel sets ``allow_private = true``: a
server the URL names (``json://``, ``form://``, ntfy, gotify, SMTP...: the
services whose Apprise URL template has a ``{host}``) that resolves to a
link-local (cloud metadata, 169.254.169.254), multicast, reserved or
unspecified address: no notification service lives there, and a request there
is the classic server-side request forgery. Apprise opens its own connections,
so the check runs just before sending.
"""
from __future__ import annotations

import ipaddress
from typing import Callable

from policywatch.tracker.alerts.render import AlertContent
from policywatch.tracker.alerts.sender import SendResult
from policywatch.tracker.config import Channel, ConfigError, read_secret


class AppriseSender:
    """One notification per alert (title = subject, body = the plain text)."""

    def send(self, channel: Channel, content: AlertContent) -> SendResult:
        import apprise  # heavy: loaded only when an apprise channel sends

        url = read_secret(channel.option("url_env"), what="Apprise URL", channel=channel)
        notifier = apprise.Apprise()
        if not url or not notifier.add(url):
            raise ConfigError(
                f"The Apprise URL in {channel.option('url_env')} (channel {channel.key}) is not "
                "understood by apprise."
            )
        refusal = None if channel.option("allow_private", False) else _forbidden_host(notifier)
        if refusal:
            return SendResult(False, f"{channel.key}: {refusal} (set allow_private = true on this channel to allow it)")
        ok = notifier.notify(title=content.subject, body=content.text, body_format=apprise.NotifyFormat.TEXT)
        if ok:
            return SendResult(True)
        return SendResult(False, f"apprise ({channel.option('url_env')}): notification failed")


def _forbidden_host(notifier: object, resolve: Callable[[str], list[str]] | None = None) -> str | None:
    """Why one of the notifier's servers must not be contacted (a link-local, multicast, reserved
    or unspecified address), or None. A host that does not resolve is left to Apprise to fail on."""
    from policywatch.tracker.addresses import literal_address, resolve_briefly

    for plugin in notifier:  # type: ignore[attr-defined]
        host = getattr(plugin, "host", "") or ""
        if not host or "host" not in getattr(type(plugin), "template_tokens", {}):
            continue  # no server named: a token sits where a host would (slack://TokenA/...)
        literal = literal_address(host)
        try:
            addresses = [str(literal)] if literal is not None else (resolve or resolve_briefly)(host)
        except OSError:
            continue
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
                return f"Apprise server refused: {host} resolves to {address}, a link-local, multicast or reserved address"
    return None

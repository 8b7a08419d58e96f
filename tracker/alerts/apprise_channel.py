"""Apprise channel: any Apprise URL (Slack, Teams, ntfy, json://, ...).

The URL usually embeds a token, so it is only ever read from the variable
named by ``url_env``, at send time. Apprise reports failure as False rather
than raising; we turn it into a retryable :class:`SendResult`.

As for webhooks, a server the user names (``json://``, ``form://``, ntfy,
gotify, mattermost, SMTP...: the services whose Apprise URL template has a
``{host}``) must have public addresses unless the channel sets
``allow_private``. Apprise opens its own connections, so the check runs just
before sending rather than at connect time as the webhook's does.
"""
from __future__ import annotations

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
        refusal = None if channel.option("allow_private", False) else _private_host(notifier)
        if refusal:
            return SendResult(False, f"{channel.key}: {refusal} (set allow_private = true on this channel to allow it)")
        ok = notifier.notify(title=content.subject, body=content.text, body_format=apprise.NotifyFormat.TEXT)
        if ok:
            return SendResult(True)
        return SendResult(False, f"apprise ({channel.option('url_env')}): notification failed")


def _private_host(notifier: object) -> str | None:
    """Why one of the notifier's user-named servers must not be contacted, or None."""
    from policywatch.tracker.addresses import host_refusal

    for plugin in notifier:  # type: ignore[attr-defined]
        host = getattr(plugin, "host", "") or ""
        if host and "host" in getattr(type(plugin), "template_tokens", {}):  # a server, not a token in host's place
            reason = host_refusal(host)
            if reason:
                return f"Apprise server refused: {reason}"
    return None


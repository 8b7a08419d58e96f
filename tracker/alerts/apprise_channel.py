"""Apprise channel: any Apprise URL (Slack, Teams, ntfy, json://, ...).

The URL usually embeds a token, so it is only ever read from the variable
named by ``url_env``, at send time. Apprise reports failure as False rather
than raising; we turn it into a retryable :class:`SendResult`.
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
        ok = notifier.notify(title=content.subject, body=content.text, body_format=apprise.NotifyFormat.TEXT)
        if ok:
            return SendResult(True)
        return SendResult(False, f"apprise ({channel.option('url_env')}): notification failed")

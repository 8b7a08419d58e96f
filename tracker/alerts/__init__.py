"""Alerts: the outbox and everything that empties it.

| module | does |
|---|---|
| ``outbox`` | ``enqueue_change_alerts`` (called by the ingest, inside its transaction), health notices |
| ``delivery`` | ``send_pending``: claim (lease), send, record the attempt, retry with backoff |
| ``digest`` | ``send_digests``: one message per ``digest = "daily"`` channel |
| ``health`` | ``check_health``: tracking_broken / tracking_restored from failure counts |
| ``render`` | webhook JSON body (docs/DESIGN.md), plain-text and HTML messages with redlines |
| ``webhook``, ``email``, ``apprise_channel`` | the senders (transports), behind ``sender.Sender`` |
| ``clock`` | the time seam and the stored timestamp format |

The SQL lives in ``db/alerts.py``; configuration in ``tracker/config.py``.
"""

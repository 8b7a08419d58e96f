"""policywatch: archival crawler and change tracker for website privacy policies.

The importable library lives in ``tracker`` (text, versions, diffs, alerts),
``db`` (schema and queries), ``crawler`` (Scrapy spiders) and ``schedules``.
This package holds the command-line interface, the error tree and the demo.
"""
__version__ = "0.1.0"

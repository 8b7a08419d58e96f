"""policywatch: archival crawler and change tracker for website privacy policies.

One installed namespace: ``policywatch.tracker`` (text, versions, diffs, materiality, alerts),
``policywatch.db`` (schema and queries), ``policywatch.crawler`` (Scrapy spiders) and
``policywatch.schedules`` are the repository's top-level folders, mapped in by pyproject.toml.
This folder holds the command-line interface (``cli``), the error tree (``errors``), the loopback
fakes (``testing``) and the demo. Importing it loads nothing else, so every layer may import
``policywatch.errors``.
"""
__version__ = "0.1.0"

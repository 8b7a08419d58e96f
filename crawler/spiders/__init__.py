"""Spiders: live (current pages), wayback (archive backfill), discover (find a site's policy)."""

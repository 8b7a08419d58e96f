"""``discover``: find a site's privacy policy from its home page and track it.

The home page is fetched live, or as archived at a date (``at=YYYYMMDD``,
raw ``id_`` replay, so links keep their original addresses). Candidate links
are ranked (``crawler.discovery``) and checked best-first; the first that
answers with a text page is added as a policy.

    scrapy crawl discover -a url=https://example.org/ [-a at=20200101] [-a name=example]
"""
from __future__ import annotations

from typing import Any

from policywatch.crawler.cdx import capture_url, split_archive_url, valid_stamp
from policywatch.crawler.spiders.base import PolicySpider


class DiscoverSpider(PolicySpider):
    name = "discover"

    def __init__(self, *args: Any, url: str | None = None, at: str | None = None,
                 policy_name: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.urls = [u for u in (url or "").split(",") if u.strip()]
        if at and not valid_stamp(at):
            raise ValueError(f"at must be YYYY[MM[DD[hh[mm[ss]]]]], got {at!r}")
        self.at = at or None
        self.policy_name = policy_name

    @property
    def base(self) -> str:
        from policywatch.crawler.middlewares import archive_base

        return archive_base(self.settings)

    async def start(self) -> Any:
        if not self.urls:
            self.logger.warning("discover needs -a url=https://site.example/ (nothing to do)")
        for url in self.urls:
            home = url if url.count("/") > 2 else url + "/"
            meta = {"policy_name": self.policy_name, "home_url": home}
            if self.at:
                meta["links_base"] = home
                yield self.home_request(home, meta, fetch_url=capture_url(self.base, self.at, home))
            else:
                yield self.home_request(home, meta)

    def candidate_fetch_url(self, url: str, meta: dict[str, Any]) -> str:
        """Check candidates in the archive too when discovering at a past date."""
        return capture_url(self.base, self.at, url) if self.at else url

    def parse_candidate(self, response: Any) -> Any:
        if self.at:
            located = split_archive_url(response.url)
            # Compare against the candidate's original URL, not the archive's replay address.
            response = response.replace(url=located[1]) if located else response
        yield from super().parse_candidate(response)


__all__ = ["DiscoverSpider"]

"""policywatch's Scrapy project: fetch policies live and from the Wayback Machine.

Spiders (thin; the logic is in plain modules tested without Scrapy):
  live      current page of each policy, conditional requests, rediscovery on 404/home redirect
  wayback   CDX (paged, from the last stored capture) + raw ``id_`` replays, one fetch per new digest
  discover  a site's privacy-policy link from its home page (live or archived at a date)

Plain modules: ``outcomes`` (HTTP -> capture outcome), ``safety`` (refused URLs),
``budget`` (politeness keys, rate budgets, circuit breaker), ``cdx`` (CDX/replay
URLs, parsing, row planning), ``discovery`` (multilingual link ranking),
``ordering`` (in-order release), ``runner`` (subprocess crawls for the CLI),
``writer`` (the one writer thread and the ``Sink`` protocol), ``pipelines`` (ingest
only), ``extensions`` (stats, progress, Save Page Now on the ``capture_ingested`` signal).

Settings (Scrapy settings, or environment variables of the same name):

====================================  =========================  =============================================
name                                  default                    meaning
====================================  =========================  =============================================
POLICYWATCH_DB                        policywatch.db             database the spiders read and the sink writes
POLICYWATCH_WAYBACK_URL               https://web.archive.org    archive base (trusted: exempt from the
                                                                 private-address refusal)
POLICYWATCH_ALLOW_PRIVATE             0                          1 = allow private/loopback/link-local hosts
                                                                 (tests, intranets); refused otherwise
POLICYWATCH_CDX_PER_MINUTE            24                         CDX budget (the archive allows about 30)
POLICYWATCH_CAPTURES_PER_SECOND       8                          replay budget (the archive allows about 10)
POLICYWATCH_SAVES_PER_MINUTE          6                          Save Page Now budget (``crawl --save``)
POLICYWATCH_ARCHIVE_429_PAUSE         60                         minimum pause of ALL archive traffic after a
                                                                 429 without Retry-After (seconds)
POLICYWATCH_RETRY_TIMES               5                          retries for 429/5xx/network errors
POLICYWATCH_RETRY_BACKOFF_BASE/MAX    2 / 120                    exponential backoff when no Retry-After
POLICYWATCH_CONCURRENT_PER_HOST       2                          CONCURRENT_REQUESTS_PER_DOMAIN
POLICYWATCH_DOWNLOAD_DELAY            0.5                        per-host delay (AutoThrottle adjusts it)
POLICYWATCH_AUTOTHROTTLE              1                          0 turns AutoThrottle off (tests, benches)
POLICYWATCH_DOWNLOAD_MAXSIZE          10 MiB                     larger bodies -> ``too_large`` captures
POLICYWATCH_CDX_LIMIT                 500                        rows per CDX page (then resumeKey)
POLICYWATCH_CDX_CHAINS                2                          policies whose CDX pages are walked at once
POLICYWATCH_SINK                      (Ingestor)                 dotted path of ``factory(db, config) -> sink``
POLICYWATCH_LIMITER                   (budget.Limiter)           dotted path of ``factory(rates, settings)``;
                                                                 workers use ``egress.redis_limiter``
POLICYWATCH_REDIS_BATCH               10 x CONCURRENT / chains   jobs a distributed worker holds at once
POLICYWATCH_WORKER_MAX_IDLE           0 (never)                  seconds an idle worker waits before exiting
POLICYWATCH_HEARTBEAT_TTL             15                         seconds until a silent worker counts as dead
POLICYWATCH_BIND_ADDRESS              (system)                   source address of every request
====================================  =========================  =============================================

Spider arguments: ``-a shard=K -a shards=N`` (policies with ``id % N == K``),
``-a policies=1,2``; wayback: ``-a since=YYYY[MMDD] -a until=...``;
discover: ``-a url=https://site/ [-a at=YYYYMMDD] [-a policy_name=...]``.
"""

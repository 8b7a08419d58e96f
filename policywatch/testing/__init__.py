"""Loopback fakes of the Wayback Machine and of a live website, shipped as a testing aid.

They serve the policywatch test suite, the benchmarks and ``policywatch demo``, and anyone who
wants to exercise a crawl offline (as httpx ships ``MockTransport``)::

    from policywatch.testing.wayback import FakeWaybackServer
    from policywatch.testing.live_site import FakeSiteServer
"""

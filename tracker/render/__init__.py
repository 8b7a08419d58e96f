"""Where a change is turned into something a person reads.

``markdown`` (policy text as safe HTML), ``html`` (CSS, badges, one clause
change, the page shell), ``changes`` (a change page's body: findings, clauses in
context, the inline/side-by-side switch), ``findings`` (the ranked list and its
fallback), ``timeline`` (the SVG history picture), ``text`` (the terminal view).
The report, ``compare``, ``diff`` and the alert email all render through here.
"""

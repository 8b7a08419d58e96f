"""Phrase lists behind the clause classifier (docs/DESIGN.md "Category taxonomy").

Kept apart from ``classify.py`` so the vocabulary can be read and reviewed as
data: every entry says which category a phrase signals, what it is called in a
reason, whether it describes a *practice* (something done with data), a
*protection* (a right, a limit, a safeguard) or mere *info*, and how risky it is
when it newly appears. Patterns run over lowercased text; inflections are spelled
as alternations so no stemmer is needed.

``context`` (optional) must also match somewhere in the same sentence: it keeps
ambiguous words ("sell", "partners") from counting outside data-practice talk.
"""
from __future__ import annotations

import re
from functools import cached_property
from dataclasses import dataclass

PRACTICE = "practice"
PROTECTION = "protection"
INFO = "info"


@dataclass(frozen=True)
class Entry:
    """One lexicon line: a phrase pattern and what it means.

    Patterns compile on first use: a ``policywatch compare`` process only
    assesses the changed clauses, and compiling the whole lexicon up front cost
    more than the comparison itself.
    """

    category: str
    label: str
    pattern_source: str
    kind: str = PRACTICE
    risk: str = "medium"
    context_source: str | None = None
    anchors: tuple[str, ...] = ()
    near: bool = False  # the context must be near the phrase (a recipient near its sharing verb)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.pattern_source)

    @cached_property
    def context(self) -> re.Pattern[str] | None:
        return re.compile(self.context_source) if self.context_source else None


_DATA = (
    r"(?:personal|data|information|\bpi\b|details|ip address|phone number|e-?mail address|identifiers?|"
    r"location|contacts|messages|content|records|profile)"
)
_SHARE_VERB = (
    r"\b(?:(?<!screen )(?<!file )shar(?:e|es|ed|ing)|disclos(?:e|es|ed|ing|ure|ures)|provid(?:e|es|ed|ing)|"
    r"transfer(?:s|red|ring)?|mak(?:e|es|ing) (?:it |them |\w+ )?available|send(?:s|ing)?|sent|"
    r"pass(?:es|ed|ing)? (?:on|along)?|releas(?:e|es|ed|ing)|giv(?:e|es|ing)|given|"
    r"access(?:es|ed)?|sell(?:s|ing)?|sold|rent(?:s|ed|ing)?)\b"
)
# Places data commonly goes ("servers located in India"); a destination outside this list still
# matches the generic "outside your country", "other countries" phrases.
_JURISDICTIONS = (
    r"united states|u\.s\.|usa|canada|mexico|brazil|argentina|united kingdom|uk|european union|eu|ireland|germany|france|"
    r"netherlands|switzerland|israel|india|china|hong kong|taiwan|japan|south korea|korea|singapore|australia|"
    r"russia|vietnam|philippines|indonesia|malaysia|south africa|united arab emirates|uae|saudi arabia"
)
_NOT_A_DURATION = r"(?!\s*(?:months?|days?|weeks?|hours?|minutes?|seconds?|%|percent|years?(?! (?:old|of age))))"
_NUMBER = r"(?:\d{1,4}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen|twenty|thirty|sixty|ninety)"

_RAW: list[tuple[str, str, str, str, str, str | None]] = [
    # (category, label, pattern, kind, risk, context)
    # --- sale (CCPA "sale" and "sharing" for cross-context behavioural advertising)
    ("sale", "sell", r"\b(?:sell|sells|selling|sold|resell\w*)\b", PRACTICE, "high", _DATA),
    ("sale", "sale of data", r"\bsales? (?:of|or sharing of|and sharing of) (?:your |their )?" + _DATA, PRACTICE, "high", None),
    ("sale", "sale of data", r"\b(?:sale|sales)\b(?= (?:or|and|/) (?:the )?shar)", PRACTICE, "high", None),
    ("sale", "rent", r"\b(?:rent|rents|rented|renting|lease|leases|leased|trade|trades|traded)\b(?= (?:or \w+ )?(?:(?:your|our|their|the|any|such) )?(?:personal|data|information|it\b|them\b))", PRACTICE, "high", None),
    ("sale", "cross-context behavioral advertising", r"\bcross[- ]context behaviou?ral advertising\b", PRACTICE, "high", None),
    ("sale", "share for targeted advertising", r"\b(?:targeted|behaviou?ral|interest[- ]based) advertising\b", PRACTICE, "high", r"\bshar(?:e|es|ed|ing)\b"),
    ("sale", "valuable consideration", r"\b(?:monetary|valuable) consideration\b", PRACTICE, "high", None),
    # --- sharing: a sharing verb plus a recipient type (recipient names the risk)
    ("sharing", "advertisers", r"\badvertis(?:er|ers|ing partners?|ing networks?|ing companies)\b", PRACTICE, "high", _SHARE_VERB),
    ("sharing", "data brokers", r"\bdata (?:brokers?|resellers?|aggregators?)\b", PRACTICE, "high", None),
    ("sharing", "affiliates", r"\b(?:affiliat(?:e|es|ed companies)|subsidiar(?:y|ies)|corporate (?:family|group)|group compan(?:y|ies)|family of companies|parent company)\b", PRACTICE, "medium", _SHARE_VERB),
    ("sharing", "partners", r"\b(?:business |marketing |commercial |trusted |integration |measurement |analytics )?partners?\b", PRACTICE, "medium", _SHARE_VERB),
    ("sharing", "third parties", r"\bthird[- ]part(?:y|ies)\b", PRACTICE, "medium", _SHARE_VERB),
    ("sharing", "service providers", r"\b(?:service providers?|vendors?|processors?|sub-?processors?|contractors?|suppliers?)\b", PRACTICE, "low", _SHARE_VERB),
    ("sharing", "law enforcement", r"\b(?:law enforcement|authorit(?:y|ies)|government(?:al)? (?:agenc\w+|bodies|entities|requests?)|regulators?|courts?|police|judicial|subpoenas?|legal process|court orders?)\b", PRACTICE, "medium", _SHARE_VERB),
    ("sharing", "other users or the public", r"\b(?:publicly (?:available|visible|accessible)|made public|other users|anyone on the internet)\b", PRACTICE, "medium", _SHARE_VERB),
    ("sharing", "researchers", r"\b(?:researchers|academic (?:partners|institutions))\b", PRACTICE, "medium", _SHARE_VERB),
    ("sharing", "search and shopping providers", r"\b(?:search|shopping|payment|identity verification|age verification) (?:and \w+ )?(?:providers?|services? providers?|partners?)\b", PRACTICE, "medium", _SHARE_VERB),
    ("sharing", "share or disclose", r"\b(?:shar(?:e|es|ed|ing)|disclos(?:e|es|ed|ing|ures?))\b", PRACTICE, "medium", _DATA),
    ("sharing", "merger or acquisition", r"\b(?:merger|acquisition|sale of (?:all or )?(?:a portion of )?(?:our |the )?(?:business|company|assets))\b", PRACTICE, "medium", None),
    # --- collection: verbs, sources and data types
    ("collection", "collect", r"\b(?:collect(?:s|ed|ing)?|gather(?:s|ed|ing)?|obtain(?:s|ed|ing)?|captur(?:e|es|ed|ing)|upload(?:s|ed|ing)?)\b|"
     r"\breceiv(?:e|es|ed|ing) (?:\w+ ){0,3}?(?:information|data|details)\b", PRACTICE, "medium", None),
    ("collection", "collection (topic)", r"\b(?:data|information) collection\b|\bcollection (?:and use )?of (?:your )?(?:personal )?(?:data|information)\b", INFO, "low", None),
    ("collection", "third-party sources", r"\b(?:receiv\w*|obtain\w*|get|gets|acquir\w*|purchas\w*|buy|buys|bought|licens\w*|access\w*)\b[^.;]{0,100}?\b(?:from|provided by|supplied by|made available by) (?:our |other |certain )?(?:third[- ]part|advertis|partners?|data (?:providers?|brokers?)|publicly available|other sources|social (?:media|networks?)|app stores?|marketing|analytics)", PRACTICE, "medium", None),
    ("collection", "precise location", r"\b(?:precise (?:geo)?location|gps|geo-?location|location (?:data|information|history)|physical location)\b", PRACTICE, "high", None),
    ("collection", "location", r"\b(?:approximate|general|coarse) location\b|\byour location\b", PRACTICE, "medium", None),
    ("collection", "biometric data", r"\b(?:biometric\w*|face ?(?:scans?|prints?|geometry|recognition)|facial (?:scans?|recognition|age estimation|geometry|features|images?|data)|selfies?|fingerprints?|voice ?prints?|iris scans?|retina)\b", PRACTICE, "high", None),
    ("collection", "health data", r"\b(?:health|medical|fitness data|mental health|diagnos\w+|genetic)\b", PRACTICE, "high", None),
    ("collection", "government ID", r"\b(?:social security (?:number|no)|ssn|government(?:-issued)? (?:id|identification)|passports?|driver'?s licen[cs]es?|national (?:id|identity|identification)|identity documents?|tax (?:identification|id)|id (?:card|document)s?)\b", PRACTICE, "high", None),
    ("collection", "special categories", r"\b(?:racial|ethnic origin|religious|sexual orientation|sex life|trade union|political (?:opinions|views|affiliation)|sensitive (?:personal )?(?:data|information)|special categor(?:y|ies) of (?:personal )?data)\b", PRACTICE, "high", None),
    ("collection", "financial data", r"\b(?:financial (?:information|data|accounts?)|payment (?:card|information|details|data|method)s?|credit (?:card|history|score)s?|bank (?:account|details|information)s?|card numbers?|billing (?:information|address|records?)|transaction (?:history|data|information|records?)|income|wallet (?:address|information)s?)\b", PRACTICE, "medium", None),
    ("collection", "contacts", r"\b(?:address books?|contact lists?|(?:device|phone|your) contacts|contacts? (?:data|information) from)\b", PRACTICE, "high", None),
    ("collection", "browsing history", r"\b(?:browsing (?:history|activity|data)|search (?:history|queries)|web (?:browsing|history)|(?:pages|sites|websites) (?:you|that you) visit\w*)\b", PRACTICE, "medium", None),
    ("collection", "device identifiers", r"\b(?:device (?:identifiers?|ids?|information|data)|advertising (?:identifiers?|ids?)|idfa|aaid|imei|mac address\w*|ip address\w*|unique identifiers?)\b", PRACTICE, "medium", None),
    ("collection", "messages and content", r"\b(?:contents? of (?:your )?(?:messages|communications|emails|chats)|(?:audio|voice) (?:recordings?|data|inputs?)|(?:your|user|customer|meeting|webinar|messaging|message|email|chat|communications?) contents?|prompts?|your (?:photos|videos|images|recordings))\b", PRACTICE, "medium", None),
    ("collection", "inferences", r"\b(?:infer|infers|inferred|inferring|inferences?|deriv(?:e|ed) (?:information|data))\b", PRACTICE, "medium", None),
    ("collection", "demographics and age", r"\b(?:demographic (?:information|data)|date of birth|birth ?date|age range|your age|gender)\b", PRACTICE, "medium", None),
    ("collection", "phone number", r"\b(?:phone numbers?|telephone numbers?|mobile numbers?)\b", PRACTICE, "low", None),
    # --- purpose
    ("purpose", "AI model training", r"\b(?:train(?:s|ed|ing)?\b[^.;]{0,80}?\b(?:models?|ai|artificial intelligence|machine learning|algorithms?|llms?)\b|(?:model|ai|llm) training|training (?:data|datasets?|purposes)|machine learning|(?:develop|improv)\w* (?:our |the )?(?:ai |foundation |language )?models)", PRACTICE, "high", None),
    ("purpose", "targeted advertising", r"\b(?:target(?:ed|ing)?|personali[sz]ed|interest[- ]based|behaviou?ral|tailored|relevant)\s+(?:ads|advertis\w+|marketing)\b", PRACTICE, "high", None),
    ("purpose", "advertising and marketing", r"\b(?:advertising|advertisements?|ads|marketing|(?<!-)sponsored|promotion(?:al|s)?|promot(?:e|ing) (?:our )?products)\b", PRACTICE, "medium", None),
    ("purpose", "profiling", r"\b(?:profiling|build(?:ing)? (?:a )?profiles?|automated decision[- ]making)\b", PRACTICE, "high", None),
    ("purpose", "research", r"\b(?:research|studies)\b", PRACTICE, "medium", None),
    ("purpose", "age estimation", r"\b(?:estimat\w* (?:your |a user'?s |their |users'? )?age|age (?:estimation|prediction|assurance|inference))\b", PRACTICE, "medium", None),
    ("purpose", "use of data", r"\b(?:use|uses|used|using|process|processes|processed|analy[sz]e|analy[sz]es)\s+(?:(?:the|this|that|these|such|your|any|all|certain|personal|of|other|some)\s+)*(?:data|information|content|it|them|details)\b[^.;]{0,80}?\b(?:to|for)\b", PRACTICE, "low", None),
    ("purpose", "stated purposes", r"\b(?:for (?:the )?purposes? of|business purposes|commercial purposes|legitimate interests?)\b", PRACTICE, "low", None),
    # --- tracking
    ("tracking", "cookies", r"\bcookies?\b", PRACTICE, "medium", None),
    ("tracking", "pixels and beacons", r"\b(?:pixels?|web beacons?|clear gifs?|tracking (?:technolog\w+|pixels?|tags?|tools?)|tags? manager|local storage|session replay)\b", PRACTICE, "medium", None),
    ("tracking", "SDKs", r"\b(?:sdks?|software development kits?)\b", PRACTICE, "medium", None),
    ("tracking", "cross-site tracking", r"\b(?:cross[- ](?:site|device|app|platform)(?![- ](?:sharing|play|compatib\w*|messaging|support)\b)|fingerprinting|across (?:other |different )?(?:websites|sites|apps|devices|services))\b", PRACTICE, "high", None),
    ("tracking", "analytics", r"\b(?:google analytics|analytics (?:tools?|providers?|services?|partners?|companies)|measurement (?:partners|tools|services))\b", PRACTICE, "medium", None),
    ("tracking", "Do Not Track", r"\b(?:do[- ]not[- ]track|global privacy control|gpc)\b", INFO, "low", None),
    # --- retention
    ("retention", "retain", r"\b(?:retain(?:s|ed|ing)?|keep(?:s|ing)?|kept|preserv(?:e|es|ed|ing)|archiv(?:e|es|ed|ing))\b", PRACTICE, "medium", _DATA + r"|\bit\b|\bthem\b|\brecords?\b|\bcop(?:y|ies)\b|\blogs?\b|\bcontent\b|\bmessages?\b"),
    ("retention", "retention (topic)", r"\b(?:retention|data retention|how long we (?:keep|retain|store))\b", INFO, "low", None),
    ("retention", "store", r"\bstor(?:e|es|ed|ing)\b[^.;]{0,80}?\b(?:for|until|as long as|up to|after|period)\b", PRACTICE, "medium", None),
    ("retention", "indefinite retention", r"\b(?:indefinitely|forever|permanently|in perpetuity|no (?:fixed |set )?(?:time )?limit)\b", PRACTICE, "high", None),
    ("retention", "longer retention", r"\b(?:or longer|for longer|longer periods?|extend(?:s|ed)? (?:the |our )?retention|retain(?:ed)? (?:it |them |data |information )?longer)\b", PRACTICE, "medium", None),
    ("retention", "retained after deletion", r"\b(?:even (?:if|after) (?:you )?(?:delete|close|deactivate)|after (?:you )?(?:delete|close|deactivate) your account)\b", PRACTICE, "medium", None),
    ("retention", "deletion period", r"\b(?:delet\w+|eras\w+|purg\w+|anonymi[sz]\w+|destroy\w*|self-destruct\w*)\b[^.;]{0,100}?\b(?:after|within|\d+ (?:days?|weeks?|months?|years?))\b", PROTECTION, "medium", None),
    ("retention", "retention period", r"\b" + _NUMBER + r"[\s-]+(?:calendar |business )?(?:days?|weeks?|months?|years?)\b", PROTECTION, "medium", r"\b(?:delet|eras|purg|retain|retention|keep|kept|stor(?:e|ed|age)|inactiv|remov|destroy|expir)"),
    ("retention", "as long as necessary", r"\bas long as (?:is |it is )?(?:necessary|needed|required|reasonably|your account)", PROTECTION, "medium", None),
    # --- user rights and choices
    ("user_rights", "right of access", r"\b(?:right (?:to|of) (?:access|know)|access (?:to )?(?:your|the) (?:personal )?(?:data|information)|(?:request|obtain|download|export) (?:a copy|access|your data|your information))", PROTECTION, "medium", None),
    ("user_rights", "right to delete", r"\b(?:right (?:to|of) (?:delet\w*|erasure|be forgotten)|delete (?:your|the|their) (?:account|data|information|personal|content|conversations?|chats?)|request (?:the )?delet\w+|deletion requests?)", PROTECTION, "medium", None),
    ("user_rights", "right to correct", r"\b(?:right (?:to|of) (?:correct\w*|rectif\w*)|correct (?:your|inaccurate)|rectif\w+|update (?:or correct )?your (?:personal )?(?:data|information))", PROTECTION, "medium", None),
    ("user_rights", "opt-out", r"\b(?:opt(?:s|ed|ing)?[- ]?outs?|unsubscrib\w*|do not sell or share|limit the use)\b", PROTECTION, "medium", None),
    ("user_rights", "consent and withdrawal", r"\b(?:withdraw\w* (?:your )?consent|revoke (?:your )?consent|opt(?:s|ed)?[- ]?in|your consent|with consent)\b", PROTECTION, "medium", None),
    ("user_rights", "portability", r"\b(?:portab\w+|port your data)\b", PROTECTION, "medium", None),
    ("user_rights", "right to object or restrict", r"\b(?:right to (?:object|restrict|limit)|object to|restrict(?:ion of)? (?:the )?processing)\b", PROTECTION, "medium", None),
    ("user_rights", "appeal and complaint", r"\b(?:appeal\w*|lodge a complaint|right to complain|complain to (?:a|the|your) (?:supervisory|data protection) authority|non-discrimination)\b", PROTECTION, "medium", None),
    ("user_rights", "your rights and choices", r"\b(?:your (?:privacy |data protection )?(?:rights|choices)|exercise (?:your|these|those) rights|privacy (?:settings|controls|choices)|data subject (?:access )?requests?)\b", PROTECTION, "medium", None),
    # --- children
    ("children", "children", r"\b(?:child|children|children's|minors?|kids?|teens?|teenagers?|young people|coppa)\b", PROTECTION, "medium", None),
    ("children", "age limit", r"\b(?:under (?:the age of )?\d{1,2}|(?:below|younger than|over|older than|at least) (?:the age of )?\d{1,2}|age of \d{1,2}|\d{1,2} years? (?:of age|old)|aged? \d{1,2})\b" + _NOT_A_DURATION, PROTECTION, "medium", None),
    ("children", "parental consent", r"\b(?:parental (?:consent|controls?|permission)|parents? (?:or|and) (?:legal )?guardians?|parent accounts?|guardian)\b", PROTECTION, "medium", None),
    ("children", "age assurance", r"\b(?:age (?:verification|estimation|assurance|prediction|checks?)|verify\w* (?:your |their |a user'?s )?age|estimat\w* (?:your |their )?age)\b", PRACTICE, "medium", None),
    # --- international transfers
    ("international_transfer", "transfer abroad", r"\b(?:transfer\w*|transmit\w*|stor\w*|process\w*|host\w*|access\w*|located)\b[^.;]{0,120}?\b(?:outside (?:of )?(?:the|your)|other countries|various countries|countries|abroad|across borders|internationally|united states|the u\.?s\.?(?!\w)|eea\b|european economic area|third countr\w+|jurisdictions? other|(?:servers?|data cent(?:er|re)s?|facilities) (?:located )?in (?:the )?(?:" + _JURISDICTIONS + r")(?!\w))", PRACTICE, "medium", None),
    ("international_transfer", "international transfer", r"\b(?:international (?:data )?transfers?|cross[- ]border (?:data )?transfers?|data transfers?)\b", PRACTICE, "medium", None),
    ("international_transfer", "transfer safeguards", r"\b(?:standard contractual clauses|adequacy decisions?|adequate (?:level of )?protection|data privacy framework|privacy shield|binding corporate rules|appropriate safeguards|transfer mechanisms?|international data transfer addendum)\b", PROTECTION, "medium", None),
    # --- security
    ("security", "encryption", r"\b(?:encrypt\w*|bcrypt|hash(?:ed|ing)|end-to-end)\b", PROTECTION, "medium", None),
    ("security", "security measures", r"\b(?:security (?:measures|safeguards|practices|controls|programs?|standards|features|technologies)|(?:technical|organi[sz]ational|administrative|physical|contractual) (?:and \w+ )?(?:measures|safeguards|controls)|safeguards? (?:your|the|personal)|(?:reasonable|appropriate|industry[- ]standard|adequate) (?:\w+ ){0,2}(?:security|safeguards|measures)|secure(?:ly)? (?:servers?|storage|stored|environment|connection|socket|facilities|transmission)|protect (?:your|the|personal) (?:personal )?(?:data|information)|access controls?|pseudonymi[sz]\w+|two-factor|2fa|penetration test\w*|audit(?:s|ed)? (?:our )?security)\b", PROTECTION, "medium", None),
    ("security", "security (topic)", r"^[\W\d]*(?:(?:data|information|account) )?security[\W]*$|^[\W\d]*how we (?:protect|secure|safeguard) (?:your )?(?:personal )?(?:data|information)\W*$", INFO, "low", None),
    ("security", "breach", r"\b(?:data breach\w*|security (?:breach|incident)\w*|unauthori[sz]ed access)\b", INFO, "medium", None),
    # --- policy changes
    ("policy_change", "changes to this policy", r"\b(?:chang\w*|updat\w*|modif\w*|revis\w*|amend\w*)\b[^.;]{0,40}?\b(?:this|our|the) (?:privacy )?(?:policy|statement|notice)\b", INFO, "low", None),
    ("policy_change", "notice of changes", r"\b(?:we will|we may|we'll) (?:\w+ )?(?:notify|inform|let you know|alert)\b", INFO, "low", None),
    ("policy_change", "update announcement", r"\b(?:last (?:updated|modified|revised)|effective (?:date|as of|from|until|on)|(?:go|goes|went|will go|come|comes) into (?:effect|force)|takes? effect|(?:we have|we've|we) (?:recently )?updated (?:our|this|the)|(?:this|the) (?:page|version) is the (?:updated|new|current)|previous versions?|prior versions?|archived versions?)\b", INFO, "low", None),
    # --- contact and controller
    ("contact", "contact us", r"\b(?:contact (?:us|our|the)|reach (?:out to )?us|write to us|email us|get in touch|mailing address|postal address|headquarter\w*)\b", INFO, "low", None),
    ("contact", "data protection officer", r"\b(?:data protection officer|dpo|privacy officer|eu representative|uk representative|representative in the)\b", INFO, "low", None),
    ("contact", "controller", r"\b(?:(?:data )?controllers?|operated by|provided by|responsible for (?:the )?(?:processing|your (?:personal )?(?:data|information)))\b", INFO, "low", None),
    ("contact", "email address", r"[\w.+~-]+@[\w-]+(?:\.[\w-]+)+", INFO, "low", None),
    ("contact", "postal address", r"\b\d{1,5}\s+[a-z][\w'-]*(?:\s+[a-z][\w'-]*)?\s+(?:street|st\.|avenue|ave\.?|road|rd\.?|boulevard|blvd|drive|lane|place|plaza|square|way|gracht|straat|strasse|straße)\b|\b(?:suite|floor) \d+", INFO, "low", None),
]


# Substrings one of which every match of a label contains. A clause without any of
# them skips that label's regex: a plain substring test is ~50x cheaper than a
# regex scan, and most labels are absent from most clauses. (A test checks that
# anchors never change the result on the corpus.)
_DIGITS = tuple("0123456789")
ANCHORS: dict[str, tuple[str, ...]] = {
    "sell": ("sell", "sold"),
    "sale of data": ("sale",),
    "rent": ("rent", "lease", "trade"),
    "cross-context behavioral advertising": ("context",),
    "share for targeted advertising": ("advertising",),
    "valuable consideration": ("consideration",),
    "advertisers": ("advertis",),
    "data brokers": ("broker", "reseller", "aggregator"),
    "affiliates": ("affiliat", "subsidiar", "corporate", "group compan", "family of", "parent company"),
    "partners": ("partner",),
    "third parties": ("third",),
    "service providers": ("provider", "vendor", "processor", "contractor", "supplier"),
    "law enforcement": ("law enf", "authorit", "government", "regulator", "court", "police", "judicial", "subpoena", "legal process"),
    "other users or the public": ("public", "other users", "anyone"),
    "researchers": ("researchers", "academic"),
    "search and shopping providers": ("provider", "partner"),
    "share or disclose": ("shar", "disclos"),
    "merger or acquisition": ("merger", "acquisition", "sale of"),
    "collect": ("collect", "gather", "obtain", "captur", "upload", "receiv"),
    "collection (topic)": ("collection",),
    "third-party sources": (" from ", "provided by", "supplied by", "made available by"),
    "precise location": ("location", "gps"),
    "location": ("location",),
    "biometric data": ("biometric", "face", "facial", "selfie", "fingerprint", "voice", "iris", "retina"),
    "health data": ("health", "medical", "fitness", "diagnos", "genetic"),
    "government ID": ("social security", "ssn", "government", "passport", "licen", "national", "identity doc", "tax", "id "),
    "special categories": ("racial", "ethnic", "religious", "sexual", "sex life", "union", "political", "sensitive", "special categor"),
    "financial data": ("financial", "payment", "credit", "bank", "card", "billing", "transaction", "income", "wallet"),
    "contacts": ("address book", "contact"),
    "browsing history": ("browsing", "search", "web ", "visit"),
    "device identifiers": ("device", "advertising", "idfa", "aaid", "imei", "mac address", "ip address", "identifier"),
    "messages and content": ("content", "audio", "voice", "prompt", "your photos", "your videos", "your images", "your recordings"),
    "inferences": ("infer", "deriv"),
    "demographics and age": ("demographic", "birth", "age range", "your age", "gender"),
    "phone number": ("number",),
    "AI model training": ("train", "machine learning", "model"),
    "targeted advertising": ("ads", "advertis", "marketing"),
    "advertising and marketing": ("advertis", "ads", "marketing", "sponsored", "promot"),
    "profiling": ("profil", "automated decision"),
    "research": ("research", "studies"),
    "age estimation": ("age",),
    "use of data": ("use", "using", "process", "analy"),
    "stated purposes": ("purpose", "legitimate interest"),
    "cookies": ("cookie",),
    "pixels and beacons": ("pixel", "beacon", "gif", "tracking", "tag", "local storage", "session replay"),
    "SDKs": ("sdk", "software development"),
    "cross-site tracking": ("cross", "fingerprinting", "across"),
    "analytics": ("analytics", "measurement"),
    "Do Not Track": ("track", "global privacy", "gpc"),
    "retain": ("retain", "keep", "kept", "preserv", "archiv"),
    "retention (topic)": ("retention", "how long"),
    "store": ("stor",),
    "indefinite retention": ("indefinite", "forever", "permanent", "perpetuity", "limit"),
    "retained after deletion": ("delete", "close", "deactivate"),
    "longer retention": ("longer", "extend"),
    "deletion period": ("delet", "eras", "purg", "anonymi", "destroy", "self-destruct"),
    "retention period": ("day", "week", "month", "year"),
    "as long as necessary": ("as long as",),
    "right of access": ("right", "access", "request", "obtain", "download", "export"),
    "right to delete": ("delet", "erasure", "forgotten"),
    "right to correct": ("correct", "rectif", "update"),
    "opt-out": ("opt", "unsubscrib", "do not sell", "limit the use"),
    "consent and withdrawal": ("consent", "opt"),
    "portability": ("portab", "port your"),
    "right to object or restrict": ("object", "restrict", "limit"),
    "appeal and complaint": ("appeal", "complain", "non-discrimination"),
    "your rights and choices": ("rights", "choices", "privacy settings", "privacy controls", "data subject"),
    "children": ("child", "minor", "kid", "teen", "young people", "coppa"),
    "age limit": _DIGITS,
    "parental consent": ("parent", "guardian"),
    "age assurance": ("age",),
    "transfer abroad": ("countr", "outside", "abroad", "across borders", "internationally", "united states", "the u", "eea", "european economic area", "jurisdiction", "server", "data cent", "facilities"),
    "international transfer": ("transfer",),
    "transfer safeguards": ("contractual", "adequa", "data privacy framework", "privacy shield", "binding corporate", "appropriate safeguards", "transfer mechanism", "addendum"),
    "encryption": ("encrypt", "bcrypt", "hash", "end-to-end"),
    "security measures": ("secur", "measures", "safeguard", "controls", "protect", "pseudonymi", "two-factor", "2fa", "penetration", "audit"),
    "breach": ("breach", "incident", "unauthori"),
    "security (topic)": ("security", "how we"),
    "changes to this policy": ("policy", "statement", "notice"),
    "notice of changes": ("we will", "we may", "we'll"),
    "update announcement": ("last ", "effective", "into effect", "into force", "take effect", "takes effect", "updated", "version"),
    "contact us": ("contact", "reach", "write to us", "email us", "get in touch", "mailing address", "postal address", "headquarter"),
    "data protection officer": ("data protection officer", "dpo", "privacy officer", "representative"),
    "controller": ("controller", "operated by", "provided by", "responsible for"),
    "email address": ("@",),
    "postal address": ("street", "st.", "avenue", "ave", "road", "rd", "boulevard", "blvd", "drive", "lane", "place",
                       "plaza", "square", "way", "gracht", "straat", "strasse", "straße", "suite", "floor"),
}


def _compile(raw: list[tuple[str, str, str, str, str, str | None]]) -> tuple[Entry, ...]:
    """Build the entries (patterns compile lazily, once each)."""
    return tuple(
        Entry(
            category=cat,
            label=label,
            pattern_source=pattern,
            kind=kind,
            risk=risk,
            context_source=context,
            anchors=ANCHORS.get(label, ()),
            near=context == _SHARE_VERB,
        )
        for cat, label, pattern, kind, risk, context in raw
    )


ENTRIES: tuple[Entry, ...] = _compile(_RAW)
ALL_ANCHORS: tuple[str, ...] = tuple(sorted({a for e in ENTRIES for a in e.anchors}))

# Words that negate a practice when they come before it in the same sentence part.
NEGATION = re.compile(
    r"\b(?:not|never|no|none|neither|nor|cannot|can't|don't|doesn't|didn't|won't|wouldn't|"
    r"isn't|aren't|shouldn't|no longer|nothing|refrain\w* from|prohibit\w*|forbid\w*|"
    r"(?:restrict|prevent|bar)\w*\s+(?:\w+\s+){0,4}?from)\b|n['’]t\b"
)
# A negated data-practice verb ("does not use ... to train") reaches further than a bare "not".
NEGATED_VERB = re.compile(
    r"\b(?:(?:do|does|did|will|shall|would|may|must|to)\s+not|never|don't|doesn't|didn't|won't|"
    r"wouldn't|cannot|can't|no longer)\s+(?:\w+\s+){0,2}?(use|sell|share|disclose|collect|rent|process|"
    r"train|provide|transfer|store|retain|keep|access|track|monitor|scan|read|give|trade|allow|permit)\b"
)
# What a negated verb can reach further along its sentence: "does not use X to train" negates the
# training purpose, but "does not use files shared in chats" does not negate a sharing practice.
NEGATED_VERB_REACH: dict[str, frozenset[str]] = {
    **dict.fromkeys(("use", "process", "access", "scan", "read", "monitor", "track", "train"),
                    frozenset({"purpose", "collection", "tracking"})),
    **dict.fromkeys(("sell", "rent", "trade"), frozenset({"sale", "sharing", "collection"})),
    **dict.fromkeys(("share", "disclose", "provide", "transfer", "give", "allow", "permit"),
                    frozenset({"sharing", "sale", "international_transfer", "collection"})),
    "collect": frozenset({"collection", "tracking"}),
    **dict.fromkeys(("store", "retain", "keep"), frozenset({"retention", "collection"})),
}
CONTEXT_BEFORE, CONTEXT_AFTER = 250, 250  # characters around a recipient searched for its sharing verb
# "we prohibit our providers from training models on ...": a practice barred, with -ing verbs.
NEGATED_FROM = re.compile(
    r"\b(?:prohibit\w*|forbid\w*|restrict\w*|prevent\w*|bar|bars|barred)\s+(?:\w+\s+){0,4}?from\s+"
    r"(using|selling|sharing|disclosing|collecting|processing|training|transferring|storing|retaining|"
    r"accessing|tracking|monitoring|scanning|reading)\b"
)
FROM_VERBS = {
    "using": "use", "selling": "sell", "sharing": "share", "disclosing": "disclose", "collecting": "collect",
    "processing": "process", "training": "train", "transferring": "transfer", "storing": "store",
    "retaining": "retain", "accessing": "access", "tracking": "track", "monitoring": "monitor",
    "scanning": "scan", "reading": "read",
}
NEGATION_WORDS = 8  # a bare negation word counts only this close before the phrase
PROTECTION_NEGATION_WORDS = 4  # ... and this close before a right or safeguard it denies
# Where a new sentence part starts: negation before it does not reach past it ("this policy does
# not apply to content you upload": that negation limits the policy, not the upload).
CLAUSE_BREAK = re.compile(
    r"[;:!?]|\.\s|\b(?:but|however|except|unless|although|though|whereas|instead|rather|other than|"
    r"if|when)\b|,\s+(?:and|or)\s+(?:we|they|you|it|these|those)\b|\bnot (?:apply|cover|govern)\w*(?: to)?\b"
)
# Words that turn a practice into a choice the user controls ("opt out of the sale").
CHOICE = re.compile(
    r"\b(?:opt(?:s|ed|ing)?[- ]?out|right to|rights to|object to|request that we|choose (?:not )?to|"
    r"withdraw|unsubscribe|turn off|disable|decline|refuse|without your consent|ask us (?:not )?to|"
    r"limit (?:the |our )?(?:use|disclosure|sharing|processing)|restrict (?:the |our )?(?:use|processing)|"
    r"stop (?:the |us from |our )?(?:sale|selling|sharing|processing|using))\b"
)
MAY = re.compile(r"\b(?:may|might|can|could|reserve the right)\b")
WILL = re.compile(r"\b(?:will|shall|must|always)\b")

# Labels too generic to signal a widening on their own when a sentence is reworded.
GENERIC_LABELS = frozenset({"collect", "share or disclose", "use of data", "stated purposes", "retain", "store", "third parties"})
# Markup masked out before word diffs (same length, so offsets stay valid): tags, link targets, emphasis, tables.
MARKUP = re.compile(r"<[^>\n]{0,200}>|\]\([^)\s]*\)|https?://\S+|mailto:\S+|[*_|#>`\[\]]+|&nbsp;|\u200d|\u2060")

# Page chrome that extraction sometimes lets through (cookie banners, navigation, footers).
CHROME = re.compile(
    r"\b(?:accept all(?: cookies)?|reject all(?: cookies)?|allow all cookies|by clicking [\"“']?(?:accept|agree|ok)|"
    r"skip to (?:main )?content|back to top|all rights reserved|was this (?:page|article) helpful|"
    r"toggle navigation|open menu|close menu)\b|©"
)
CHROME_MAX_WORDS = 60  # longer text is policy prose even if it mentions cookie settings

# Exceptions carved out of a promise ("we do not sell your data, except to our partners").
ON_DEVICE = re.compile(r"\b(?:stays?|remains?|kept|stored|processed) (?:only |locally )?on your device|never leaves? your device")  # not collected by the company
EXCEPTIONS = re.compile(r"\b(?:unless|except|excepting|other than|save for|apart from|with the exception of)\b")

# Limiting qualifiers: when one disappears from a practice, the practice widens.
QUALIFIERS = re.compile(
    r"\b(?:only|solely|exclusively|strictly|with your (?:explicit |express |prior )?(?:consent|permission)|"
    r"aggregat\w+|de-?identified|anonymi[sz]\w+|pseudonymi[sz]\w+|"
    r"(?:as )?required by (?:applicable )?law|strictly necessary|limited to)\b"
)

# Durations for retention comparisons; word numbers are spelled out in policies.
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "eighteen": 18, "twenty": 20, "thirty": 30, "sixty": 60,
    "ninety": 90, "a": 1, "an": 1,
}
UNIT_DAYS = {"hour": 1 / 24, "day": 1, "week": 7, "month": 30, "year": 365}
DURATION = re.compile(
    r"\b(\d{1,4}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")(?:\s*\(\d+\))?[\s-]*"
    r"(?:calendar |business )?(hour|day|week|month|year)s?\b"
)

# Age thresholds in children clauses ("under 13", "age of 16", "13 or older").
AGE = re.compile(
    r"\b(?:under|below|younger than|over|older than|at least|age of|aged?|minimum age (?:is|of))\s+"
    r"(?:the age of\s+)?(\d{1,2})\b|\b(\d{1,2})\s*(?:years? (?:of age|old)|\+|or older|and older|or over)"
)

# Company names in controller/operator clauses ("Discord Netherlands BV", "Superhuman Platform Inc.").
ORG_SUFFIX = re.compile(
    r"\b((?:[A-Z][\w&.'-]*\s+){0,4}[A-Z][\w&.'-]*,?\s+(?:Inc|LLC|L\.L\.C|Ltd|Limited|B\.?V|GmbH|S\.?A\.?S?|"
    r"S\.?à\.? ?r\.?l|AG|plc|PLC|Corp|Corporation|Co|Pte|AB|Oy|ApS|SE|NV|N\.V|LLP|LP|SARL|SRL|S\.?L|Pty)\b\.?)"
)
# Where a policy says who "we" are or who controls the data ("the controller is X", 'X ("we", "us")').
CONTROLLER_CONTEXT = re.compile(
    r"\b(?:(?:data )?controller|operated by|owned by|we are|(?:is|are) responsible for (?:the )?(?:processing (?:of )?)?(?:your )?(?:personal )?(?:data|information)|"
    r"(?:this|our) (?:privacy )?(?:policy|notice|statement) (?:describes|explains|applies))\b|"
    r"[“\"](?:\*\*)?(?:we|us|our)(?:\*\*)?,?[”\"]|\bwe, [A-Z]",
    re.IGNORECASE,
)
EMAIL = re.compile(r"[\w.+~-]+@[\w-]+(?:\.[\w-]+)+")

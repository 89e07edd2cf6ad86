"""Google Forms: a CSV (or Sheets XLSX) with Timestamp first and, when collected, Email address; no response id.

Without an id, each questionnaire gets one from its content (a hash of its timestamp and answers), so the same
row in a cumulative re-export gets the same id and is counted once.
"""

from wellled.check.sources.adapter import Source

SOURCE = Source(
    name="google-forms",
    title="Google Forms",
    signature=frozenset({"timestamp"}),
    submitted=("timestamp",),
    dropped=frozenset({"score", "total score"}),
)

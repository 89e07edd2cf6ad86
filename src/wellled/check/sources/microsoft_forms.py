"""Microsoft Forms: an XLSX download with Id, Start time, Completion time, Email, Name, Last modified time."""

from wellled.check.sources.adapter import Source

SOURCE = Source(
    name="microsoft-forms",
    title="Microsoft Forms",
    signature=frozenset({"id", "start time", "completion time"}),
    submitted=("completion time",),
    response_id=("id",),
    dropped=frozenset({"start time", "last modified time", "total points", "quiz feedback", "points", "feedback"}),
)

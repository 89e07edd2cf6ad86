"""SurveyMonkey: CSV or XLSX with two header rows (question, then 'Response' or the option) and its metadata."""

from wellled.check.sources.adapter import Source

SOURCE = Source(
    name="surveymonkey",
    title="SurveyMonkey",
    signature=frozenset({"respondent id", "collector id"}),
    submitted=("end date",),
    response_id=("respondent id",),
    dropped=frozenset({"collector id", "start date"}),
    header_rows=2,
)
SUBHEADER_KEEP = frozenset({"", "response", "open-ended response"})

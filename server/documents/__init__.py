"""Official documents (公文) of an inspection: the notice to the target (告知书), the entry
announcement (巡查公告), the feedback letter (反馈意见书) and the results notification (通报).

Pure functions, no database and no Flask: `content` builds an `OfficialDocument` from an
inspection's facts, `pdf` and `word` lay it out in the usual form of Chinese official documents
(GB/T 9704-2012), `numbering` formats document numbers (文号) and Chinese dates. The services
(`server/services/documents.py`) gather the facts, issue the numbers and check who may read.
"""
KINDS = ("notice", "announcement", "feedback_letter", "bulletin")
KIND_NAMES = {"notice": "巡查告知书", "announcement": "巡查公告", "feedback_letter": "反馈意见书",
              "bulletin": "巡查结果通报"}

"""The form editor's check of a draft's form as it is typed (nothing is stored): the text's
problems against the draft's own decision tables and the known roles."""
from lxml.etree import LxmlError, QName

from ..engine.form_lint import lint_form
from ..engine.parser import UnsafeXml, read_xml
from ..engine.roles import ROLES
from .access import require_role
from .errors import InvalidInput
from .process_drafts import OWNER, PATH, draft_files, draft_row

MAX_TEXT_CHARS = 500_000


def check_draft_form(uow, actor, draft_id, path, text):
    """(document or None, [problem dicts]) of `text` as the form `path` of the draft."""
    require_role(actor, OWNER)
    draft_row(uow, draft_id)
    fields = {}
    if not isinstance(path, str) or not path.startswith("forms/") or not PATH.fullmatch(path):
        fields["path"] = "须为 forms/名称.json"
    if not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
        fields["text"] = "须为不超过 50 万字的文本"
    if fields:
        raise InvalidInput("表单预览的参数有误", fields)
    doc, problems = lint_form(text, decision_ids(draft_files(uow, draft_id)), ROLES)
    return doc, [p.to_dict() for p in problems]


def decision_ids(files):
    """The ids of the decisions in the files' DMN tables (unreadable tables have none here:
    the draft's own validation reports them)."""
    found = set()
    for path, content in files.items():
        if not path.endswith(".dmn"):
            continue
        try:
            root = read_xml(content)
        except (UnsafeXml, LxmlError):
            continue
        found |= {el.get("id") for el in root.iter() if isinstance(el.tag, str)
                  and QName(el).localname == "decision" and el.get("id")}
    return found

"""What a generated official document holds, independent of its file format."""
from dataclasses import dataclass, field
from datetime import date

# Block styles: `body` (indented paragraph, 仿宋), `heading` (一、 黑体), `subheading` (（一） 楷体),
# `item` (a numbered line inside a section, indented like the body), `plain` (no indent).
STYLES = ("body", "heading", "subheading", "item", "plain")


@dataclass(frozen=True)
class Block:
    text: str
    style: str = "body"


@dataclass
class OfficialDocument:
    """One document: header (issuing authority, number), title, addressee, body, signature, the
    record lines at the foot (抄送, 印发)."""
    kind: str
    authority: str                      # 发文机关标志 in the red header
    number: str                         # 文号, e.g. 菏安委办函〔2025〕3号
    title: str
    blocks: list = field(default_factory=list)
    addressee: str | None = None        # 主送机关, ends with a full-width colon
    signature: str = ""                 # 发文机关署名
    dated: date | None = None           # 成文日期
    copy_to: str | None = None          # 抄送
    printed_by: str | None = None       # 印发机关 (with the printing date: `dated`)
    filename: str = "document"          # stem of the download's file name

    def texts(self):
        """Every line of text, in reading order (for tests and plain-text previews)."""
        yield from (self.authority, self.number, self.title)
        if self.addressee:
            yield self.addressee
        yield from (b.text for b in self.blocks)
        yield self.signature


def signature_indents(signature, dated_text):
    """Right indents in characters of the signature and the date of a document without a seal
    (GB/T 9704 7.3.5.2): the signature two characters in from the right, the date under it
    starting two characters further right; a longer date keeps two and moves the signature."""
    overhang = len(dated_text) + 2 - len(signature)
    return 2 + max(overhang, 0), 2 + max(-overhang, 0)

"""An OfficialDocument as PDF, laid out like a Chinese official document (GB/T 9704-2012).

A4 with the standard margins (top 37 mm, left 28 mm, type area 156 × 225 mm, 22 lines of
28 characters), the issuing authority in red with the document number under it and a red rule,
the title at 22 pt, the body at 16 pt with two-character first-line indents, signature and date
at the right, 抄送/印发 at the foot of the last page, page numbers "— 1 —" outside.

Fonts: a CJK TrueType font is embedded when one is installed (Debian fonts-wqy-microhei, which
`.ci/run` installs); otherwise reportlab's built-in CID font STSong-Light, which PDF readers
supply themselves. Official documents name 仿宋/小标宋/黑体, which are not free to ship; one
embedded CJK face stands in for all of them.
"""
import io
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (Flowable, HRFlowable, KeepTogether, Paragraph, SimpleDocTemplate,
                                Spacer, Table, TableStyle)

from .model import signature_indents
from .numbering import chinese_date

RED = colors.HexColor("#E60012")
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
FALLBACK_FONT = "STSong-Light"
BODY_PT, LEADING = 16, 28.9          # 3号 on a 22-line page
INDENT = 2 * BODY_PT                 # two characters
_lock = threading.Lock()
_font = []


def font_name():
    """The registered CJK font: the first installed TrueType candidate, else STSong-Light."""
    with _lock:
        if not _font:
            path = next((p for p in FONT_CANDIDATES if Path(p).is_file()), None)
            if path:
                pdfmetrics.registerFont(TTFont("XunchaCJK", path, subfontIndex=0))
                _font.append("XunchaCJK")
            else:
                pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
                _font.append(FALLBACK_FONT)
        return _font[0]


def styles(font):
    def style(name, size, **kw):
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=kw.pop("leading", LEADING),
                              wordWrap="CJK", **kw)
    return {
        "authority": style("authority", 30, leading=40, alignment=TA_CENTER, textColor=RED),
        "number": style("number", BODY_PT, alignment=TA_CENTER, spaceBefore=LEADING),
        "title": style("title", 22, leading=35, alignment=TA_CENTER, spaceBefore=LEADING,
                       spaceAfter=LEADING * 0.5),
        "addressee": style("addressee", BODY_PT, alignment=TA_LEFT, spaceBefore=LEADING * 0.5),
        "body": style("body", BODY_PT, alignment=TA_JUSTIFY, firstLineIndent=INDENT),
        "item": style("item", BODY_PT, alignment=TA_JUSTIFY, firstLineIndent=INDENT),
        "heading": style("heading", BODY_PT, firstLineIndent=INDENT, keepWithNext=1),
        "subheading": style("subheading", BODY_PT, firstLineIndent=INDENT, keepWithNext=1),
        "plain": style("plain", BODY_PT, alignment=TA_JUSTIFY),
        "sign": style("sign", BODY_PT, alignment=TA_RIGHT),
        "record": style("record", 14, leading=24, leftIndent=14, rightIndent=14),
        "record_right": style("record_right", 14, leading=24, rightIndent=14, alignment=TA_RIGHT),
    }


class AtPageFoot(Flowable):
    """Takes the rest of the frame so that what follows sits at the foot of the page (版记)."""

    def __init__(self, content_height):
        super().__init__()
        self.content_height = content_height

    def wrap(self, avail_width, avail_height):
        self.height = max(avail_height - self.content_height - 1, 0)
        return avail_width, self.height

    def draw(self):
        pass


def _rule(color=colors.black, thickness=0.5, before=0, after=0):
    return HRFlowable(width="100%", thickness=thickness, color=color, spaceBefore=before,
                      spaceAfter=after)


def _tail_start(blocks):
    """Where the last paragraph begins with the headings right above it."""
    start = max(len(blocks) - 1, 0)
    while start > 0 and blocks[start - 1].style in ("heading", "subheading"):
        start -= 1
    return start


def _closing(doc, s):
    """Signature and date with the last paragraph (and its heading): never a page with only a
    signature, never a heading left at the foot of a page."""
    date_text = chinese_date(doc.dated) if doc.dated else ""
    sign_indent, date_indent = signature_indents(doc.signature, date_text)
    lines = [Spacer(1, LEADING),
             Paragraph(escape(doc.signature), ParagraphStyle(
                 "signature", parent=s["sign"], rightIndent=sign_indent * BODY_PT))]
    if date_text:
        lines.append(Paragraph(date_text, ParagraphStyle(
            "dated", parent=s["sign"], rightIndent=date_indent * BODY_PT)))
    tail = [Paragraph(escape(b.text), s[b.style]) for b in doc.blocks[_tail_start(doc.blocks):]]
    return [KeepTogether(tail + lines)]


def _record(doc, s, width):
    """版记: 抄送 and 印发 between rules, at the foot of the last page."""
    if not (doc.copy_to or doc.printed_by):
        return []
    rows = [_rule(thickness=1)]
    if doc.copy_to:
        rows += [Paragraph(escape(f"抄送：{doc.copy_to}"), s["record"]), _rule()]
    if doc.printed_by:
        printed = Table([[Paragraph(escape(doc.printed_by), s["record"]),
                          Paragraph(escape(f"{doc.dated.year}年{doc.dated.month}月{doc.dated.day}日印发")
                                    if doc.dated else "", s["record_right"])]],
                        colWidths=[width * 0.6, width * 0.4])
        printed.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0),
                                     ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        rows.append(printed)
    rows.append(_rule(thickness=1))
    height = sum(f.wrap(width, 1000)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in rows)
    return [AtPageFoot(height + 4), KeepTogether(rows)]


def _page_number(canvas, template):
    """— 1 — in 4号, outside edge: right on odd pages, left on even ones."""
    canvas.saveState()
    canvas.setFont(font_name(), 14)
    text, y = f"— {canvas.getPageNumber()} —", 35 * mm - 7 * mm - 14
    if canvas.getPageNumber() % 2:
        canvas.drawRightString(A4[0] - 26 * mm - 14, y, text)
    else:
        canvas.drawString(28 * mm + 14, y, text)
    canvas.restoreState()


def render(doc):
    """The document as PDF bytes."""
    s = styles(font_name())
    buffer = io.BytesIO()
    template = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=28 * mm, rightMargin=26 * mm,
                                 topMargin=37 * mm, bottomMargin=35 * mm, title=doc.title,
                                 author=doc.authority, subject=doc.number)
    story = [Paragraph(escape(doc.authority), s["authority"]),
             Paragraph(escape(doc.number), s["number"]), _rule(RED, 1.2, before=4 * mm),
             Paragraph(escape(doc.title), s["title"])]
    if doc.addressee:
        story.append(Paragraph(escape(doc.addressee), s["addressee"]))
    story += [Paragraph(escape(block.text), s[block.style])
              for block in doc.blocks[:_tail_start(doc.blocks)]]
    story += _closing(doc, s)
    story += _record(doc, s, template.width)
    template.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return buffer.getvalue()

"""An OfficialDocument as a Word file (.docx), in the layout of GB/T 9704-2012.

East Asian fonts are named through `w:eastAsia` (仿宋_GB2312 for the body, 方正小标宋简体 for the
authority and title, 黑体 for first-level headings, 楷体_GB2312 for second-level ones), which
Word and WPS use for Chinese text; Latin text and digits use Times New Roman.
"""
import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from .model import signature_indents
from .numbering import chinese_date

RED = RGBColor(0xE6, 0x00, 0x12)
BODY_FONT, TITLE_FONT, HEADING_FONT, SUBHEADING_FONT = ("仿宋_GB2312", "方正小标宋简体", "黑体",
                                                        "楷体_GB2312")
BODY_PT, LEADING_PT = 16, 28.9
FONTS = {"heading": HEADING_FONT, "subheading": SUBHEADING_FONT}
# Elements that follow w:pBdr inside w:pPr (the schema fixes their order; Word checks it).
AFTER_BORDER = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
                "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
                "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
                "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
                "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
                "w:rPr", "w:sectPr", "w:pPrChange")


def _set_font(font, east_asia, size, color=None):
    font.name = "Times New Roman"
    font.size = Pt(size)
    if color is not None:
        font.color.rgb = color
    font.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)


def _paragraph(document, text, east_asia=BODY_FONT, size=BODY_PT, align=None, indent=False,
               color=None, before=0, after=0, leading=LEADING_PT):
    paragraph = document.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(leading)
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if align is not None:
        fmt.alignment = align
    if indent:
        fmt.first_line_indent = Pt(2 * size)
    if text:
        _set_font(paragraph.add_run(text).font, east_asia, size, color)
    return paragraph


def _border(paragraph, edge, color="000000", eighths=8):
    """A rule above or below a paragraph (the red rule, the lines of 版记)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.insert_element_before(borders, *AFTER_BORDER)
    line = OxmlElement(f"w:{edge}")
    for key, value in (("val", "single"), ("sz", str(eighths)), ("space", "4"), ("color", color)):
        line.set(qn(f"w:{key}"), value)
    borders.append(line)


def _page_number(paragraph):
    """— PAGE — as a field, so Word and WPS number the pages themselves."""
    def run(text=None, field=None, instruction=None):
        r = paragraph.add_run(text)
        _set_font(r.font, "宋体", 14)
        if field:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), field)
            r._r.append(element)
        if instruction:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = instruction
            r._r.append(element)
    run("— ")
    run(field="begin")
    run(instruction=" PAGE ")
    run(field="end")
    run(" —")


def _setup(document):
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(21)
    _set_font(document.styles["Normal"].font, BODY_FONT, BODY_PT)
    document.settings.odd_and_even_pages_header_footer = True
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                          (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        paragraph = footer.paragraphs[0]
        paragraph.paragraph_format.alignment = align
        _page_number(paragraph)


def _record(document, doc):
    """版记: 抄送 and 印发 lines between rules, after the signature."""
    if not (doc.copy_to or doc.printed_by):
        return
    _paragraph(document, "", before=LEADING_PT * 2)
    lines = []
    if doc.copy_to:
        lines.append(_paragraph(document, f"抄送：{doc.copy_to}", size=14, leading=24))
    if doc.printed_by:
        printed = f"{doc.dated.year}年{doc.dated.month}月{doc.dated.day}日印发" if doc.dated else ""
        line = _paragraph(document, doc.printed_by, size=14, leading=24)
        line.paragraph_format.tab_stops.add_tab_stop(Mm(156) - Pt(14), WD_TAB_ALIGNMENT.RIGHT)
        _set_font(line.add_run(f"\t{printed}").font, BODY_FONT, 14)
        lines.append(line)
    for line in lines:
        line.paragraph_format.left_indent = line.paragraph_format.right_indent = Pt(14)
        _border(line, "top", eighths=12 if line is lines[0] else 4)
    _border(lines[-1], "bottom", eighths=12)


def _closing(document, doc):
    """Signature and date after one blank line, right-indented as GB/T 9704 7.3.5.2 says."""
    date_text = chinese_date(doc.dated) if doc.dated else ""
    sign_indent, date_indent = signature_indents(doc.signature, date_text)
    right = WD_ALIGN_PARAGRAPH.RIGHT
    signature = _paragraph(document, doc.signature, align=right, before=LEADING_PT)
    signature.paragraph_format.right_indent = Pt(sign_indent * BODY_PT)
    signature.paragraph_format.keep_with_next = True
    if date_text:
        dated = _paragraph(document, date_text, align=right)
        dated.paragraph_format.right_indent = Pt(date_indent * BODY_PT)


def render(doc):
    """The document as .docx bytes."""
    document = Document()
    _setup(document)
    core = document.core_properties
    core.title, core.author, core.subject = doc.title, doc.authority, doc.number
    center = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(document, doc.authority, TITLE_FONT, 30, center, color=RED, leading=40)
    number = _paragraph(document, doc.number, align=center, before=LEADING_PT)
    _border(number, "bottom", "E60012", 12)
    _paragraph(document, doc.title, TITLE_FONT, 22, center, before=LEADING_PT, after=LEADING_PT / 2,
               leading=35)
    if doc.addressee:
        _paragraph(document, doc.addressee)
    for block in doc.blocks:
        paragraph = _paragraph(document, block.text, FONTS.get(block.style, BODY_FONT),
                               align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=block.style != "plain")
        # Headings stay with what follows, the last paragraph with the signature.
        paragraph.paragraph_format.keep_with_next = block.style in FONTS or block is doc.blocks[-1]
    _closing(document, doc)
    _record(document, doc)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()

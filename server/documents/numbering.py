"""Document numbers (文号) and Chinese dates as official documents write them."""
from datetime import date

# 文号 prefixes (机关代字) per document kind. The serial runs per kind and year (the table's
# unique constraint), so two kinds never share a prefix: the same number would name two papers.
DEFAULT_PREFIXES = {
    "notice": "菏安委办函",        # a letter of the commission's office to the inspected unit
    "announcement": "菏安巡告",     # the team's entry announcement
    "feedback_letter": "菏安巡反",  # the team's feedback letter
    "bulletin": "菏安委办",         # the office's results notification
}
DIGITS = "〇一二三四五六七八九"


def document_number(prefix, year, serial):
    """菏安委办〔2025〕3号: year in 六角括号, serial without leading zeros (GB/T 9704 7.2.4)."""
    return f"{prefix}〔{year}〕{serial}号"


def check_prefixes(prefixes):
    """Problems with a prefix mapping (empty list when fine): every kind needs its own prefix."""
    problems = [f"文号前缀缺失：{kind}" for kind in DEFAULT_PREFIXES if not prefixes.get(kind)]
    seen = {}
    for kind, prefix in prefixes.items():
        if prefix and prefix in seen:
            problems.append(f"文号前缀“{prefix}”被 {seen[prefix]} 和 {kind} 共用")
        seen.setdefault(prefix, kind)
    return problems


def _number_words(n):
    """1..31 in Chinese numerals: 九, 十, 十一, 二十, 三十一."""
    tens, ones = divmod(n, 10)
    text = ("" if tens == 0 else ("十" if tens == 1 else DIGITS[tens] + "十"))
    return text + (DIGITS[ones] if ones else "") if n >= 10 else DIGITS[n]


def chinese_date(day: date):
    """二〇二五年十月九日: the year digit by digit, month and day as numbers."""
    year = "".join(DIGITS[int(d)] for d in str(day.year))
    return f"{year}年{_number_words(day.month)}月{_number_words(day.day)}日"


def plain_date(day: date | None):
    """2025年10月9日 (in running text), or an empty string."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""

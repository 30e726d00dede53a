"""The page number of a listing page (?page=N), kept within what the database can offset by."""
from flask import request

MAX_PAGE = 1_000_000


def page_number():
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)

"""A person using the staff pages through Flask's test client: logs in through the login form
with its CSRF token, reads pages, posts forms with the token like a browser would."""
import html
import re

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Api:
    """Logged-in JSON API clients per user (session cookie from POST /api/session)."""

    def __init__(self, app):
        self.app = app
        self.clients = {}

    def as_(self, username):
        if username not in self.clients:
            client = self.app.test_client()
            answer = client.post("/api/session", json={"username": username, "password": "secret"})
            assert answer.status_code == 200, answer.get_json()
            self.clients[username] = client
        return self.clients[username]

    def anonymous(self):
        return self.app.test_client()


class Web:
    def __init__(self, app, username, password="secret"):
        self.app = app
        self.username = username
        self.client = app.test_client()
        login_page = self.client.get("/login").get_data(as_text=True)
        self.token = CSRF.search(login_page).group(1)
        answer = self.client.post("/login", data={"username": username, "password": password,
                                                  "csrf_token": self.token})
        assert answer.status_code == 302, answer.get_data(as_text=True)

    def get(self, url, status=200):
        answer = self.client.get(url)
        assert answer.status_code == status, (url, answer.status_code)
        return answer.get_data(as_text=True)

    def post(self, url, data=None, status=302, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token)
        answer = self.client.post(url, data=data, **kwargs)
        assert answer.status_code == status, (url, answer.status_code,
                                              answer.get_data(as_text=True)[:3000])
        return answer

    def follow(self, answer):
        """The page a redirect leads to."""
        return self.get(answer.headers["Location"])


def text(page):
    """A page's text without tags, entities decoded, whitespace collapsed."""
    page = re.sub(r"<(script|template)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def element(page, element_id):
    """The start tag of the element with this id (for attribute checks)."""
    found = re.search(r'<[a-z]+[^>]*\bid="' + re.escape(element_id) + r'"[^>]*>', page)
    assert found, f"no element #{element_id}"
    return found.group(0)


def inner(page, element_id):
    """The text inside the element with this id (its first closing tag, good for leaves)."""
    found = re.search(r'<([a-z]+)[^>]*\bid="' + re.escape(element_id) + r'"[^>]*>(.*?)</\1>',
                      page, flags=re.S)
    assert found, f"no element #{element_id}"
    return html.unescape(found.group(2)).strip()

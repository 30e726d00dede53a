"""Flask's signed session cookie, verified once per cookie value instead of on every request.

Checking the signature (two HMACs) and decoding the payload (base64, tagged JSON) cost about
20 µs, a tenth of a short API request, and a client sends the same cookie on every request
until its session changes. A value that verified once is remembered with the time it was signed,
so a later request with exactly that value is only checked for age; any other value (changed,
forged, expired) takes Flask's own path. The cookie's format, lifetime and signature are Flask's.
"""
import copy
import threading
import time

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

SCALARS = (str, int, float, bool, type(None))


class RememberingSessionInterface(SecureCookieSessionInterface):

    def __init__(self, size=512):
        self.size = size                # cookie values remembered; the oldest is forgotten
        self._verified = {}             # (secret, cookie value) -> (signed at, session data)
        self._lock = threading.Lock()

    def open_session(self, app, request):
        if not app.secret_key:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (app.secret_key, value)
        found = self._verified.get(key)
        if found is None:
            try:
                data, signed_at = self.get_signing_serializer(app).loads(
                    value, max_age=max_age, return_timestamp=True)
            except BadSignature:            # includes expired: as Flask, an empty session
                return self.session_class()
            found = (int(signed_at.timestamp()), data)
            self._remember(key, found)
        elif not 0 <= int(time.time()) - found[0] <= max_age:      # itsdangerous's age check
            return self.session_class()
        data = found[1]
        # The session is changed in place (flash() appends to a list): never hand out the
        # remembered objects themselves.
        if all(type(v) in SCALARS for v in data.values()):
            return self.session_class(data)     # copies the dict
        return self.session_class(copy.deepcopy(data))

    def _remember(self, key, found):
        with self._lock:
            if len(self._verified) >= self.size:
                del self._verified[next(iter(self._verified))]
            self._verified[key] = found

    def save_session(self, app, session, response):
        # Flask's own method reads seven cookie settings before it finds that an unchanged,
        # non-permanent session (the usual request) sets no cookie; only Vary is added then.
        if session.accessed:
            response.vary.add("Cookie")
        if not session.modified and not (session.permanent and
                                         app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return
        super().save_session(app, session, response)

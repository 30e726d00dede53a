"""Pages and the JSON API. Views parse the request, call one service, and render."""
from flask_wtf.csrf import CSRFProtect

from . import api, auth, errors, ops, pages

csrf = CSRFProtect()


def init_app(app):
    auth.init_app(app)
    csrf.init_app(app)
    errors.init_app(app)
    api.init_app(app)
    for blueprint in app.blueprints.values():
        if blueprint.name.startswith("api_"):
            # The API takes JSON only, with SameSite=Lax cookies or a bearer token (design §8).
            csrf.exempt(blueprint)
    app.register_blueprint(pages.bp)
    ops.init_app(app)

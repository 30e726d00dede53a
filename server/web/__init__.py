"""Pages and the JSON API. Views parse the request, call one service, and render."""
from . import errors, pages


def init_app(app):
    errors.init_app(app)
    app.register_blueprint(pages.bp)

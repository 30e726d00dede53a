"""Pages and the JSON API. Views parse the request, call one service, and render."""
from flask_wtf.csrf import CSRFProtect

from . import (account_pages, admin_pages, admin_system, api, auth, dashboard, documents, editor,
               editor_files, errors, headers, inbox, instance_pages, migration_pages, ops, pages,
               public, review, task_pages)

csrf = CSRFProtect()


def init_app(app):
    headers.init_app(app)
    auth.init_app(app)
    csrf.init_app(app)
    errors.init_app(app)
    api.init_app(app)
    for blueprint in app.blueprints.values():
        if blueprint.name.startswith("api_"):
            # The API takes JSON only, with SameSite=Lax cookies or a bearer token (design §8).
            csrf.exempt(blueprint)
    app.register_blueprint(pages.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(inbox.assets)       # /ui/app.css
    app.register_blueprint(task_pages.bp)
    app.register_blueprint(instance_pages.bp)
    app.register_blueprint(instance_pages.vendor)     # npm assets: /vendor/bpmn-js/...
    app.register_blueprint(public.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(migration_pages.bp)
    app.register_blueprint(account_pages.bp)
    app.register_blueprint(admin_pages.bp)
    app.register_blueprint(admin_system.bp)
    app.register_blueprint(documents.bp)              # official documents (PDF, Word)
    app.register_blueprint(documents.api)
    review.init_app(app)
    app.register_blueprint(editor.bp)                 # process owners: drafts, versions
    app.register_blueprint(editor_files.bp)           # their decision-table and form editors
    ops.init_app(app)

"""The errors services raise. They never speak HTTP: web/errors.py maps them to status codes."""


class ServiceError(Exception):
    code = "error"

    def __init__(self, message, fields=None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(ServiceError):
    code = "not_found"


class Forbidden(ServiceError):
    code = "forbidden"


class Conflict(ServiceError):
    code = "conflict"


class InvalidInput(ServiceError):
    code = "invalid"


class EngineFailure(ServiceError):
    """The diagram itself failed while running; the change was rolled back."""
    code = "engine_error"

"""The one error the domain raises.

`code` is stable and English (API clients and logs key on it); `message` is
Chinese and tells a person what to do.
"""


class DomainError(Exception):
    def __init__(self, code: str, message: str, detail: dict | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.detail = detail or {}


class NotFound(DomainError):
    """Absent, or outside the actor's scope: the two are never told apart."""

    def __init__(self, what: str = "object"):
        super().__init__(f"{what}_not_found", "找不到该记录，或您无权查看。", {"object": what})


class PermissionDenied(DomainError):
    def __init__(self, message: str = "您无权执行此操作。", code: str = "permission_denied"):
        super().__init__(code, message)


class Conflict(DomainError):
    """A stale write: someone changed the object since it was read."""

    def __init__(self, what: str = "object"):
        super().__init__("version_conflict", "该记录已被他人修改，请刷新后重试。", {"object": what})

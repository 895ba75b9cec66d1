"""The JSON API root: /api/v1/, its OpenAPI schema and its docs page (served from local assets)."""

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from duban.api import (
    account,
    assignments,
    bulletins,
    clues,
    errors,
    extract,
    ledger,
    notices,
    scorecards,
    tasks,
)
from duban.api.auth import SessionAuth, TokenAuth

api = NinjaAPI(
    title="督办 duban API",
    version="1",
    description="督查督办的JSON接口。认证：请求头 `Authorization: Bearer <令牌>`，或浏览器会话（写操作须带 X-CSRFToken）。"
                "错误统一为 {code, message, detail}；更新须带对象的 version，版本过期返回409。",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
api.add_router("", account.router)
api.add_router("", tasks.router)
api.add_router("", assignments.router)
api.add_router("", notices.router)
api.add_router("", bulletins.router)
api.add_router("", ledger.router)
api.add_router("", scorecards.router)
api.add_router("", extract.router)
api.add_router("", clues.router)

from django.contrib import admin
from django.urls import include, path

from duban.api.root import api
from duban.security import views as security_views
from duban.supervision import views as supervision_views

urlpatterns = [
    path("login/", security_views.login_view, name="login"),
    path("logout/", security_views.logout_view, name="logout"),
    path("account/", security_views.account, name="account"),
    path("account/password/", security_views.password_change, name="password_change"),
    path("account/otp/verify/", security_views.otp_verify, name="otp_verify"),
    path("account/otp/enrol/", security_views.otp_enrol, name="otp_enrol"),
    path("healthz", supervision_views.healthz, name="healthz"),
    path("files/evidence/<int:pk>/", supervision_views.evidence_download, name="evidence-download"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("duban.web.urls")),
]

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from duban.supervision import views as supervision_views

admin.site.site_header = "督办 · 后台管理"
admin.site.site_title = "督办"
admin.site.index_title = "后台数据"

urlpatterns = [
    path("", supervision_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", supervision_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

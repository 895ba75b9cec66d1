from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "duban.security"
    label = "security"
    verbose_name = "安全"

    def ready(self):
        # Importing axes.signals connects django-axes's own receivers first, so that ours see
        # the request after axes has counted (or refused) the attempt.
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from duban.security import receivers

        user_logged_in.connect(receivers.on_logged_in, dispatch_uid="duban.security.logged_in")
        user_login_failed.connect(receivers.on_login_failed, dispatch_uid="duban.security.login_failed")
        user_logged_out.connect(receivers.on_logged_out, dispatch_uid="duban.security.logged_out")
        user_locked_out.connect(receivers.on_locked_out, dispatch_uid="duban.security.locked_out")

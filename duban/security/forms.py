"""Forms of the sign-in pages, with every message in Chinese."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

from duban.security.services import password_change

REQUIRED = {"required": "请填写此项。"}


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "登录名或密码不正确，请重试。",
        "inactive": "登录名或密码不正确，请重试。",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "登录名"
        self.fields["password"].label = "密码"
        for field in self.fields.values():
            field.error_messages.update(REQUIRED)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label="当前密码", strip=False, error_messages=REQUIRED,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password1 = forms.CharField(label="新密码", strip=False, error_messages=REQUIRED,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label="再次输入新密码", strip=False, error_messages=REQUIRED,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_old_password(self):
        old = self.cleaned_data["old_password"]
        if not self.user.check_password(old):
            raise forms.ValidationError("当前密码不正确。", code="password_incorrect")
        return old

    def clean(self):
        data = super().clean()
        new1, new2 = data.get("new_password1"), data.get("new_password2")
        if new1 and new2 and new1 != new2:
            self.add_error("new_password2", forms.ValidationError("两次输入的新密码不一致。", code="password_mismatch"))
        elif new1 and data.get("old_password") and new1 == data["old_password"]:
            self.add_error("new_password1", forms.ValidationError("新密码不能与当前密码相同。", code="password_unchanged"))
        elif new1:
            try:
                password_validation.validate_password(new1, self.user)
            except forms.ValidationError as error:
                self.add_error("new_password1", error)
        return data

    def save(self, *, request):
        password_change(request=request, user=self.user, new_password=self.cleaned_data["new_password1"])
        return self.user


class OtpCodeForm(forms.Form):
    code = forms.CharField(label="动态口令", min_length=6, max_length=8, strip=True,
                           error_messages={"required": "请输入 6 位动态口令。",
                                           "min_length": "请输入 6 位动态口令。",
                                           "max_length": "请输入 6 位动态口令。"},
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                         "pattern": "[0-9]*"}))

    def clean_code(self):
        code = self.cleaned_data["code"].replace(" ", "")
        if not code.isdigit():
            raise forms.ValidationError("动态口令只含数字。", code="otp_not_digits")
        return code

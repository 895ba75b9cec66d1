"""The password policy: Django's validators with Chinese messages, plus the two rules Django lacks.

Messages are fixed Chinese strings rather than translations, so that a browser
asking for English or a command run without a locale still reads the policy in
the office's language.
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth import password_validation as django_validators
from django.core.exceptions import ValidationError
from django.utils import timezone


class MinimumLengthValidator(django_validators.MinimumLengthValidator):
    def get_error_message(self):
        return f"密码太短，至少需要 {self.min_length} 个字符。"

    def get_help_text(self):
        return f"密码至少 {self.min_length} 个字符。"


class CharacterClassesValidator:
    """At least `min_classes` of: upper-case letters, lower-case letters, digits, other characters."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_error_message(), code="password_too_few_classes")

    def get_error_message(self):
        return f"密码须包含大写字母、小写字母、数字、符号中的至少 {self.min_classes} 类。"

    def get_help_text(self):
        return self.get_error_message()


def character_classes(password: str) -> int:
    upper = lower = digit = other = False
    for char in password:
        if char.isupper():
            upper = True
        elif char.islower():
            lower = True
        elif char.isdigit():
            digit = True
        else:
            other = True
    return upper + lower + digit + other


class UsernameValidator:
    """Not the login name, nor containing it (in any letter case)."""

    def validate(self, password, user=None):
        username = (getattr(user, "username", "") or "").strip().lower()
        if username and username in password.lower():
            raise ValidationError(self.get_error_message(), code="password_contains_username")

    def get_error_message(self):
        return "密码不能是登录名，也不能包含登录名。"

    def get_help_text(self):
        return self.get_error_message()


class UserAttributeSimilarityValidator(django_validators.UserAttributeSimilarityValidator):
    def get_error_message(self):
        return "密码与本人的登录名、姓名或电子邮箱过于相似。"

    def get_help_text(self):
        return "密码不能与本人的其他个人信息过于相似。"


class CommonPasswordValidator(django_validators.CommonPasswordValidator):
    def get_error_message(self):
        return "密码过于常见，容易被猜中，请换一个。"

    def get_help_text(self):
        return "密码不能是常见密码。"


class NumericPasswordValidator(django_validators.NumericPasswordValidator):
    def get_error_message(self):
        return "密码不能全是数字。"

    def get_help_text(self):
        return self.get_error_message()


def password_expires_at(user) -> dt.datetime | None:
    """When the user's password stops being accepted for use; None when expiry is off."""
    days = settings.DUBAN_PASSWORD_MAX_AGE_DAYS
    if days <= 0 or user.password_changed_at is None:
        return None
    return user.password_changed_at + dt.timedelta(days=days)


def password_expired(user) -> bool:
    expires = password_expires_at(user)
    return expires is not None and timezone.now() >= expires

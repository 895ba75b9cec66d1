"""The ladder, group robots and the delivery log, for the sysadmin. Every save goes through a service.

Urges and notices are business content (who was urged about what) and are read through the
product's pages; the delivery log shows only where a message went and how that ended.
"""

from django import forms
from django.contrib import admin, messages

from duban.core.admin import RoleAdmin
from duban.core.errors import DomainError
from duban.escalation.models import Delivery, DeliveryAttempt, LadderStep, Robot
from duban.escalation.services import delivery_retry, ladder_step_save, robot_save
from duban.org.models import Role

SYSADMIN = frozenset({Role.SYSADMIN})


@admin.register(LadderStep)
class LadderStepAdmin(RoleAdmin):
    only_for = add_by = change_by = SYSADMIN
    list_display = ["category_shown", "cause", "step", "offset_workdays", "to_liaison", "to_unit_head",
                    "to_leader", "to_supervisor", "urgent", "flags_key", "is_active"]
    list_filter = ["category", "cause", "step", "is_active"]
    fields = ["category", "step", "cause", "offset_workdays", "to_liaison", "to_unit_head", "to_leader",
              "to_supervisor", "urgent", "flags_key", "is_active"]

    @admin.display(description="事项类别")
    def category_shown(self, obj):
        return obj.category or "（默认）"

    def save_model(self, request, obj, form, change):
        ladder_step_save(actor=request.user, step=obj)


class RobotForm(forms.ModelForm):
    webhook = forms.URLField(label="Webhook 地址", max_length=500, assume_scheme="https")
    # The signing secret is written, never shown again: leave it empty to keep the current one.
    secret = forms.CharField(label="加签密钥", required=False, widget=forms.PasswordInput(render_value=False),
                             help_text="钉钉、飞书机器人开启“加签”时填写；留空表示不修改。")

    class Meta:
        model = Robot
        fields = ["unit", "kind", "name", "webhook", "secret", "is_active"]

    def clean_secret(self):
        secret = self.cleaned_data.get("secret", "")
        if not secret and self.instance.pk:
            return Robot.objects.filter(pk=self.instance.pk).values_list("secret", flat=True).first() or ""
        return secret


@admin.register(Robot)
class RobotAdmin(RoleAdmin):
    only_for = add_by = change_by = SYSADMIN
    form = RobotForm
    list_display = ["name", "unit", "kind", "signed", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "unit__name"]
    list_select_related = ["unit"]

    @admin.display(description="加签", boolean=True)
    def signed(self, obj):
        return bool(obj.secret)

    def save_model(self, request, obj, form, change):
        robot_save(actor=request.user, robot=obj)


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["at", "ok", "transient", "detail", "worker"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(RoleAdmin):
    only_for = SYSADMIN
    list_display = ["id", "channel", "target", "state", "urgent", "digest_day", "attempts", "due_at", "sent_at",
                    "last_error"]
    list_filter = ["state", "channel", "urgent"]
    search_fields = ["target"]
    fields = ["channel", "target", "state", "urgent", "digest_day", "attempts", "due_at", "sent_at", "last_error",
              "created_at"]
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["retry"]

    @admin.action(description="重新发送所选的失败投递")
    def retry(self, request, queryset):
        done = 0
        for delivery in queryset:
            try:
                delivery_retry(actor=request.user, delivery=delivery)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{delivery}：{exc.message}", messages.WARNING)
        if done:
            self.message_user(request, f"已重新排队 {done} 条投递。", messages.SUCCESS)

    def get_actions(self, request):
        # The retry writes (through the service): only those who may write see it.
        if request.user.has_role(Role.SYSADMIN) and not request.user.has_role(Role.AUDITOR):
            return super().get_actions(request)
        return {}

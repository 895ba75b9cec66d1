"""The scoring rule, for the sysadmin: the weights and switches every scorecard shows with its result."""

from django.contrib import admin

from duban.core.admin import RoleAdmin
from duban.org.models import Role
from duban.scorecards.models import ScoreRule
from duban.scorecards.services import score_rule_save

SYSADMIN = frozenset({Role.SYSADMIN})


@admin.register(ScoreRule)
class ScoreRuleAdmin(RoleAdmin):
    only_for = add_by = change_by = SYSADMIN
    list_display = ["name", "rule_text", "show_ranking", "objective_exempts", "is_active"]
    fields = ["name", "w_sign", "w_on_time", "w_overdue", "w_returns", "w_extensions", "w_satisfaction",
              "show_ranking",
              "objective_exempts", "is_active"]

    @admin.display(description="计分规则")
    def rule_text(self, obj):
        return obj.text()

    def save_model(self, request, obj, form, change):
        score_rule_save(actor=request.user, rule=obj)

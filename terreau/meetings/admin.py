from django.contrib import admin

from terreau.core.admin_scoping import BranchScopedAdmin, HistoryInline
from terreau.meetings.models import Feedback, Meeting, Participation, PlanChange, SpeedMeeting, Wish


class PlanChangeInline(HistoryInline):
    model = PlanChange
    readonly_fields = ["from_state", "to_state", "at", "by", "note", "details"]


@admin.register(SpeedMeeting)
class SpeedMeetingAdmin(BranchScopedAdmin):
    list_display = ["event", "rounds", "tables", "state", "total_value", "upper_bound"]
    list_filter = ["state"]
    raw_id_fields = ["event"]
    readonly_fields = ["state", "planned_at", "total_value", "upper_bound", "unmet_wishes", "stats"]
    inlines = [PlanChangeInline]


@admin.register(Participation)
class ParticipationAdmin(BranchScopedAdmin):
    list_display = ["registration", "unavailable_rounds", "absent"]
    raw_id_fields = ["registration"]


@admin.register(Wish)
class WishAdmin(BranchScopedAdmin):
    list_display = ["source", "target", "level"]
    list_filter = ["level"]
    raw_id_fields = ["source", "target"]


@admin.register(Meeting)
class MeetingAdmin(BranchScopedAdmin):
    list_display = ["speed_meeting", "round", "table", "a", "b", "value"]
    raw_id_fields = ["speed_meeting", "a", "b", "partnership"]


@admin.register(Feedback)
class FeedbackAdmin(BranchScopedAdmin):
    list_display = ["meeting", "registration", "rating", "follow_up"]
    list_filter = ["follow_up", "rating"]
    raw_id_fields = ["meeting", "registration", "by"]

from django.contrib import admin

from .models import UserQuota


@admin.register(UserQuota)
class UserQuotaAdmin(admin.ModelAdmin):
    list_display = ["user", "concurrent_jobs", "storage_mb", "audio_minutes_per_day"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]

from django.contrib import admin

from .models import AnalysisRun, Speaker, VoiceProfile


@admin.register(AnalysisRun)
class AnalysisRunAdmin(admin.ModelAdmin):
    list_display = ["transcript", "kind", "status", "engine", "finished_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["transcript"]
    exclude = ["result"]


@admin.register(Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    list_display = ["label", "name", "transcript", "talk_time", "profile", "similarity"]
    raw_id_fields = ["transcript", "profile"]
    exclude = ["embedding"]


@admin.register(VoiceProfile)
class VoiceProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "engine", "source", "created_at"]
    raw_id_fields = ["owner", "source_transcript"]
    exclude = ["embedding"]

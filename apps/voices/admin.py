from django.contrib import admin

from .models import CustomVoice, VoiceConsent, VoicePreview, VoiceSample, VoiceShare


class ConsentInline(admin.TabularInline):
    model = VoiceConsent
    extra = 0
    can_delete = False
    readonly_fields = [
        "basis", "speaker_name", "statement", "confirmed_by", "confirmed_at", "ip_address",
        "user_agent",
    ]  # fmt: skip


class SampleInline(admin.TabularInline):
    model = VoiceSample
    extra = 0
    fields = ["original_filename", "source", "duration", "passed", "consent"]
    readonly_fields = fields


@admin.register(CustomVoice)
class CustomVoiceAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "status", "cloud_status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["owner"]
    inlines = [ConsentInline, SampleInline]
    exclude = ["match"]


@admin.register(VoiceShare)
class VoiceShareAdmin(admin.ModelAdmin):
    list_display = ["voice", "user", "created_at"]
    raw_id_fields = ["voice", "user"]


@admin.register(VoicePreview)
class VoicePreviewAdmin(admin.ModelAdmin):
    list_display = ["key", "status", "finished_at"]
    list_filter = ["status"]

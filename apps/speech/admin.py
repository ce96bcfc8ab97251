from django.contrib import admin

from .models import Generation, ParagraphRegeneration


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "voice_name", "engine", "format", "status", "source"]
    list_filter = ["status", "source", "engine", "format"]
    search_fields = ["text", "owner__username", "voice_id"]
    readonly_fields = [f.name for f in Generation._meta.fields]


@admin.register(ParagraphRegeneration)
class ParagraphRegenerationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "generation", "status", "created_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in ParagraphRegeneration._meta.fields]

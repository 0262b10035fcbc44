from django.contrib import admin

from .models import Transcript


@admin.register(Transcript)
class TranscriptAdmin(admin.ModelAdmin):
    list_display = ["created", "room", "user", "message_count"]
    list_filter = ["room"]
    search_fields = ["room", "user__username"]
    date_hierarchy = "created"
    raw_id_fields = ["user"]

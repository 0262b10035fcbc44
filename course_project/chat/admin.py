from django.contrib import admin

from .models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["created", "room", "username", "text"]
    list_filter = ["room"]
    search_fields = ["text", "username", "room"]
    date_hierarchy = "created"
    raw_id_fields = ["user"]

from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created", "user", "message", "read"]
    list_filter = ["read"]
    search_fields = ["message", "user__username"]
    raw_id_fields = ["user"]

from django.contrib import admin

from .models import Game


@admin.register(Game)
class GameAdmin(admin.ModelAdmin):
    list_display = ["room", "name_x", "name_o", "turn", "winner", "version", "updated"]
    list_filter = ["winner"]
    search_fields = ["room", "name_x", "name_o"]
    readonly_fields = ["version"]

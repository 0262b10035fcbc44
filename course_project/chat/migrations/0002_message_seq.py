"""Number every room's messages (seq) and remember the sender's id for each (client_id).

Messages stored before this migration get their numbers in the order they were written.
"""

from django.db import migrations, models


def number_existing_messages(apps, schema_editor):
    Message = apps.get_model("chat", "Message")
    counters = {}
    for message in Message.objects.order_by("room", "created", "id").only("id", "room"):
        counters[message.room] = counters.get(message.room, 0) + 1
        Message.objects.filter(pk=message.pk).update(seq=counters[message.room])


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="message", name="chat_room_recent"),
        migrations.AddField(
            model_name="message",
            name="client_id",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="message",
            name="seq",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.RunPython(number_existing_messages, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="message",
            name="seq",
            field=models.PositiveBigIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(fields=("room", "seq"), name="chat_room_seq"),
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(
                fields=("room", "client_id"), name="chat_room_client_id"
            ),
        ),
    ]

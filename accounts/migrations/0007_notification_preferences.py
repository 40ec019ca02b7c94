"""A user's notification preference per channel (no row: the channel is on; in-app cannot be turned off)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_labels_translatable'),
    ]

    operations = [
        migrations.CreateModel(
            name='NotificationPreference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(choices=[('EMAIL', 'E-mail'), ('PUSH', 'Push'), ('SMS', 'SMS'), ('WHATSAPP', 'WhatsApp'), ('IN_APP', 'In app')], max_length=16, verbose_name='channel')),
                ('enabled', models.BooleanField(default=True, verbose_name='enabled')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notification_preferences', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'notification preference',
                'verbose_name_plural': 'notification preferences',
                'ordering': ['user', 'channel'],
                'constraints': [
                    models.UniqueConstraint(fields=('user', 'channel'), name='accounts_notifpref_user_channel_uniq'),
                    models.CheckConstraint(condition=models.Q(('channel__in', ['EMAIL', 'PUSH', 'SMS', 'WHATSAPP', 'IN_APP'])), name='accounts_notifpref_channel_valid'),
                    models.CheckConstraint(condition=models.Q(models.Q(('channel', 'IN_APP'), _negated=True), ('enabled', True), _connector='OR'), name='accounts_notifpref_in_app_always_on'),
                ],
            },
        ),
    ]

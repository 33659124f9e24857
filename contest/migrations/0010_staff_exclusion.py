from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contest", "0009_discover_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="contest",
            name="excluded_domains",
            field=models.TextField(
                blank=True,
                help_text=(
                    "One a line or separated by commas, e.g. reseau.example (its subdomains "
                    "too). Named on the rules page."
                ),
                verbose_name="staff e-mail domains",
            ),
        ),
        migrations.AddField(
            model_name="contest",
            name="excluded_emails",
            field=models.TextField(
                blank=True,
                help_text="One a line or separated by commas. Never shown publicly.",
                verbose_name="other excluded addresses",
            ),
        ),
        migrations.AddField(
            model_name="contest",
            name="excluded_policy",
            field=models.CharField(
                choices=[
                    ("refused", "Their photos are refused"),
                    ("gallery", "Gallery only: never for the jury or a cover"),
                ],
                default="refused",
                max_length=10,
                verbose_name="photos from these addresses",
            ),
        ),
    ]

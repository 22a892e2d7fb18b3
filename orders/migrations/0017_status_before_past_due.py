"""Past-due orders remember where they go back to on the order itself, not in the timeline.

Orders already past due take it, once, from the timeline entry that made them past due."""

from django.db import migrations, models


def remember_status_before_past_due(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    OrderEvent = apps.get_model("orders", "OrderEvent")
    for order in Order.objects.filter(status="past_due"):
        last = (
            OrderEvent.objects.filter(order=order, to_status="past_due")
            .order_by("-created_at", "-id")
            .first()
        )
        order.status_before_past_due = last.from_status if last else ""
        order.save(update_fields=["status_before_past_due"])


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0016_billing_sync"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="status_before_past_due",
            field=models.CharField(
                blank=True,
                help_text="Where the order goes back to when her failed payment goes through.",
                max_length=20,
            ),
        ),
        migrations.RunPython(remember_status_before_past_due, migrations.RunPython.noop),
    ]

"""Shipments: one box a month, with what goes in it and where it went."""

from django.conf import settings
from django.db import models

from orders.models.address import AddressFields
from orders.models.clinic import Prescription
from orders.models.holds import Hold
from orders.models.order import Order, OrderQuerySet


class ShipmentQuerySet(models.QuerySet):
    def for_packing(self):
        """With what a pick list and the "Mark shipped" button read, in constant queries."""
        return self.select_related("order").prefetch_related(
            models.Prefetch(
                "order__prescriptions",
                queryset=Prescription.objects.filter(replaced_at=None).select_related("medicine"),
                to_attr="current_prescriptions",
            ),
            "dispensing_records",
            # ``Order.can_ship`` (the list's "Mark shipped" button) without a query per row.
            models.Prefetch("order__holds", queryset=Hold.objects.open(), to_attr="open_holds"),
        )

    def able_to_become(self, status):
        """Shipments whose own lifecycle allows ``status`` next (``Shipment.NEXT``)."""
        return self.filter(status__in=[s for s, later in Shipment.NEXT.items() if status in later])

    def to_ship(self):
        """Fulfilment's queue: shipments that may ship, of orders that may ship
        (``Shipment.can_ship``)."""
        return self.able_to_become(Shipment.Status.SHIPPED).filter(
            order__in=Order.objects.filter(OrderQuerySet.shippable()).filter(
                OrderQuerySet.prescriptions_verified()
            ),
        )


class Shipment(AddressFields):
    """A box to send: one when an order is approved, one per renewal after that."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "First shipment"
        REFILL = "refill", "Monthly refill"

    class Status(models.TextChoices):
        PENDING = "pending", "To ship"
        SHIPPED = "shipped", "Shipped"
        CANCELLED = "cancelled", "Cancelled"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="shipments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    payment = models.OneToOneField(
        "orders.Payment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shipment",
        help_text="The month it is for: refunding that payment cancels the box if unsent.",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    carrier = models.CharField(max_length=50, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # A box's own small lifecycle: one to ship is shipped or cancelled, and stays so.
    NEXT = {Status.PENDING: {Status.SHIPPED, Status.CANCELLED}}

    objects = ShipmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        # The shipments list sorts by status then age: "to ship" first (docs/performance.md).
        indexes = [models.Index(fields=["status", "created_at", "id"], name="shipment_queue_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.order.reference}"

    def can_become(self, status):
        return status in self.NEXT.get(self.status, ())

    def can_ship(self):
        """This box may be marked shipped: it is still to ship, its order may ship, and a
        pharmacist verified every prescription in it."""
        return (
            self.can_become(self.Status.SHIPPED)
            and self.order.can_ship()
            and self.order.prescriptions_verified()
        )

    @property
    def is_refill(self):
        return self.kind == self.Kind.REFILL

    @property
    def pick_list(self):
        """What to pack: each medicine prescribed, its strength, a month's quantity and
        whether the pharmacist's patient label is attached ("Metformin ER 500 mg: 60 tablets
        \u00b7 label attached: yes"); never the directions. Read through
        ``Shipment.objects.for_packing()``."""
        labelled = {
            record.prescription_id
            for record in self.dispensing_records.all()
            if record.label_printed_at is not None
        }
        return [
            rx.pick_line(refill=self.is_refill, label=rx.pk in labelled)
            for rx in self.order.current_prescriptions
        ]

    TRACKING_URLS = {
        "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
        "UPS": "https://www.ups.com/track?tracknum={}",
        "FedEx": "https://www.fedex.com/fedextrack/?trknbr={}",
        "DHL": "https://www.dhl.com/us-en/home/tracking.html?tracking-id={}",
    }

    @property
    def tracking_url(self):
        """The carrier's public tracking page for this parcel, if we know the carrier."""
        pattern = self.TRACKING_URLS.get(self.carrier)
        if not (pattern and self.tracking_number):
            return ""
        from urllib.parse import quote

        return pattern.format(quote(self.tracking_number))

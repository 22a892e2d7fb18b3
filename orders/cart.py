"""The session cart: which plans the patient wants, never what they cost.

The session holds ``{"<plan id>": quantity}`` under ``"cart"`` (the header's cart count
reads its length). Prices, names and availability come from the database every time the
cart is read, so a price edited in the admin, or a plan withdrawn, shows at once.
"""

from dataclasses import dataclass

from treatments.models import Plan

SESSION_KEY = "cart"


@dataclass(frozen=True)
class CartLine:
    plan: Plan
    quantity: int

    @property
    def unit_amount_cents(self):
        return self.plan.amount_cents

    @property
    def total_cents(self):
        return self.plan.amount_cents * self.quantity


class Cart:
    def __init__(self, session):
        self.session = session
        raw = session.get(SESSION_KEY)
        self._items = dict(raw) if isinstance(raw, dict) else {}
        self._lines = None

    def _save(self):
        self.session[SESSION_KEY] = self._items
        self.session.modified = True
        self._lines = None

    def add(self, plan):
        """Add ``plan``; it replaces any other plan of the same treatment (one per treatment)."""
        for line in self.lines:
            if line.plan.treatment_id == plan.treatment_id and line.plan.pk != plan.pk:
                self._items.pop(str(line.plan.pk), None)
        self._items[str(plan.pk)] = 1
        self._save()

    def remove(self, plan_id):
        existed = self._items.pop(str(plan_id), None) is not None
        self._save()
        return existed

    def clear(self):
        self._items = {}
        self._save()

    @property
    def lines(self):
        """Lines for plans still on sale, priced from the database (one query)."""
        if self._lines is None:
            ids = [int(key) for key in self._items if str(key).isdigit()]
            plans = (
                Plan.objects.active()
                .select_related("treatment", "treatment__category")
                .in_bulk(ids)
                if ids
                else {}
            )
            lines = []
            for key, quantity in self._items.items():
                plan = plans.get(int(key)) if str(key).isdigit() else None
                if plan is not None:
                    lines.append(CartLine(plan=plan, quantity=max(1, int(quantity or 1))))
            if len(lines) != len(self._items):
                # Plans withdrawn from sale (or junk in the session) drop out quietly.
                self._items = {str(line.plan.pk): line.quantity for line in lines}
                self.session[SESSION_KEY] = self._items
                self.session.modified = True
            lines.sort(key=lambda line: (line.plan.treatment.name, line.plan.pk))
            self._lines = lines
        return self._lines

    @property
    def treatments(self):
        return [line.plan.treatment for line in self.lines]

    @property
    def subtotal_cents(self):
        return sum(line.total_cents for line in self.lines)

    shipping_cents = 0

    @property
    def total_cents(self):
        return self.subtotal_cents + self.shipping_cents
